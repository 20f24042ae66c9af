import Testing

@testable import Relay

/// A wait ends on a signal long before its interval, or at its interval without one; a signal
/// given while nobody waits ends the next wait at once, and is used up by it.
@Suite struct WakeupTests {
    @Test func aSignalEndsTheWaitLongBeforeItsInterval() async throws {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        let start = clock.now
        async let signalled = wakeup.wait(upTo: .seconds(30))
        try await Task.sleep(for: .milliseconds(20))
        wakeup.signal()
        #expect(await signalled)
        #expect(clock.now - start < .seconds(10))
    }

    @Test func withoutASignalTheWaitEndsAtItsInterval() async {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await !wakeup.wait(upTo: .milliseconds(50)))
        #expect(clock.now - start >= .milliseconds(50))
    }

    @Test func aSignalWithNobodyWaitingEndsTheNextWaitOnly() async {
        let wakeup = Wakeup()
        wakeup.signal()
        wakeup.signal()
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await wakeup.wait(upTo: .seconds(30)))
        #expect(clock.now - start < .seconds(10))
        #expect(await !wakeup.wait(upTo: .milliseconds(20)), "two signals before a wait count as one")
    }

    @Test func aCancelledWaitEnds() async {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        let start = clock.now
        let task = Task { await wakeup.wait(upTo: .seconds(30)) }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        #expect(await !task.value)
        #expect(clock.now - start < .seconds(10))
    }
}
