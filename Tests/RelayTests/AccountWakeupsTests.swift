import Testing

@testable import Relay

/// Waits for an account end when the account is named, or at their interval, and leave nothing
/// registered behind either way.
@Suite struct AccountWakeupsTests {
    @Test func aWakeOfTheAccountEndsTheWaitLongBeforeItsInterval() async throws {
        let wakeups = AccountWakeups()
        let clock = ContinuousClock()
        let start = clock.now
        async let waited: Void = wakeups.wait(for: "a", upTo: .seconds(30))
        while wakeups.count == 0 { try await Task.sleep(for: .milliseconds(1)) }
        wakeups.wake(["b"])
        try await Task.sleep(for: .milliseconds(20))
        #expect(wakeups.count == 1, "another account's wake ended the wait")
        wakeups.wake(["a"])
        await waited
        #expect(clock.now - start < .seconds(10))
        #expect(wakeups.count == 0)
    }

    @Test func withoutAWakeTheWaitEndsAtItsInterval() async {
        let wakeups = AccountWakeups()
        let clock = ContinuousClock()
        let start = clock.now
        await wakeups.wait(for: "a", upTo: .milliseconds(50))
        #expect(clock.now - start >= .milliseconds(50))
        #expect(wakeups.count == 0)
    }

    @Test func manyWaitsOfOneAccountAllEndOnOneWake() async throws {
        let wakeups = AccountWakeups()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { await wakeups.wait(for: "a", upTo: .seconds(30)) } }
            while wakeups.count < 50 { try await Task.sleep(for: .milliseconds(1)) }
            wakeups.wake(["a"])
            try await group.waitForAll()
        }
        #expect(wakeups.count == 0)
    }
}
