import Testing

@testable import Relay

/// The watch over `registered` deliveries of accounts the referee store does not know, with
/// plain values: which need a `pending` record, and which ending must wait for one.
struct RegistrationsInFlightTests {
    let start = ContinuousClock.now

    @Test func aDeliveryThatEndsInTimeIsNeverClaimed() {
        var watch = RegistrationsInFlight<String, Int>()
        let id = watch.start("quick", at: self.start)
        #expect(watch.claim(olderThan: .milliseconds(200), now: self.start + .milliseconds(199)) { 1 }.isEmpty)
        #expect(watch.end(id) == nil, "nothing to wait for")
        #expect(watch.count == 0)
        #expect(watch.claim(olderThan: .milliseconds(200), now: self.start + .seconds(5)) { 2 }.isEmpty)
    }

    @Test func aSlowDeliveryIsClaimedOnceAndItsEndingWaitsForThePendingWrite() {
        var watch = RegistrationsInFlight<String, Int>()
        let slow = watch.start("slow", at: self.start)
        let later = watch.start("later", at: self.start + .milliseconds(150))
        let due = watch.claim(olderThan: .milliseconds(200), now: self.start + .milliseconds(250)) { 7 }
        #expect(due.map(\.registration) == ["slow"], "only the one older than the threshold")
        #expect(due.map(\.signal) == [7])
        let again = watch.claim(olderThan: .milliseconds(200), now: self.start + .milliseconds(400)) { 8 }
        #expect(again.map(\.registration) == ["later"], "the first is not claimed twice")
        #expect(watch.end(slow) == 7, "its ending waits for its own pending write")
        #expect(watch.end(later) == 8)
        #expect(watch.count == 0)
    }

    @Test func endingTwiceOrAnUnknownKeyFindsNothing() {
        var watch = RegistrationsInFlight<String, Int>()
        let id = watch.start("once", at: self.start)
        _ = watch.claim(olderThan: .zero, now: self.start) { 3 }
        #expect(watch.end(id) == 3)
        #expect(watch.end(id) == nil)
        #expect(watch.end(id + 1) == nil)
    }
}

/// The `pending` write a slow delivery's ending waits for.
struct PendingWriteTests {
    @Test func theEndingWaitsUntilTheWriteEnds() async throws {
        let pending = PendingWrite()
        async let waited: Void = pending.waitUntilWritten()
        try await Task.sleep(for: .milliseconds(250))
        pending.written.resolve(())
        try await waited
        #expect(pending.isAbandoned == false)
    }

    @Test func aCancelledWaitAbandonsTheWriteAndEndsAtOnce() async throws {
        let pending = PendingWrite()
        let waiter = Task { try await pending.waitUntilWritten() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        let started = ContinuousClock.now
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(ContinuousClock.now - started < .seconds(1), "not held until the write ends")
        #expect(pending.isAbandoned, "its retries stop")
    }
}
