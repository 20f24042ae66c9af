import Relay
import Testing

/// A `qualified` pausing after a 422 lets go of its account and comes back early once a
/// `registered` of the account went through.
@Suite struct AccountLanesPauseTests {
    @Test func pauseLetsTheRegisteredGoFirstAndEndsWhenItReleases() async throws {
        let lanes = AccountLanes()
        try await lanes.acquire("acc", kind: .qualified)
        let started = ContinuousClock.now
        let paused = Task { try await lanes.pause("acc", kind: .qualified, for: .seconds(60)) }
        #expect(try await DeliveryHarness.eventually { lanes.paused(for: "acc") == 1 && lanes.busyAccounts == 0 })
        // A qualified (say, a replay) passing through does not wake it.
        try await lanes.withLane("acc", kind: .qualified) {}
        try await Task.sleep(for: .milliseconds(50))
        #expect(lanes.paused(for: "acc") == 1)
        // The registered gets the account at once, and its release ends the pause.
        try await lanes.withLane("acc", kind: .registered) {}
        try await paused.value
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(lanes.busyAccounts == 1)
        #expect(lanes.paused(for: "acc") == 0)
        lanes.release("acc")
        #expect(lanes.busyAccounts == 0)
    }

    @Test func pauseHandsTheAccountToAWaitingRegisteredAndResumesAfterTheDuration() async throws {
        let lanes = AccountLanes()
        let order = DeliveryHarness.Locked<[String]>([])
        try await lanes.acquire("acc", kind: .qualified)
        let registered = Task {
            try await lanes.withLane("acc", kind: .registered) { order.withLock { $0.append("registered") } }
        }
        #expect(try await DeliveryHarness.eventually { lanes.waiters(for: "acc") == 1 })
        try await lanes.pause("acc", kind: .qualified, for: .milliseconds(20))
        order.withLock { $0.append("qualified") }
        lanes.release("acc")
        try await registered.value
        #expect(order.current == ["registered", "qualified"])
        #expect(lanes.busyAccounts == 0)
        #expect(lanes.paused(for: "acc") == 0)
    }

    @Test func cancellingAPauseLeavesNothingBehind() async throws {
        let lanes = AccountLanes()
        try await lanes.acquire("acc", kind: .qualified)
        let paused = Task { try await lanes.pause("acc", kind: .qualified, for: .seconds(60)) }
        #expect(try await DeliveryHarness.eventually { lanes.paused(for: "acc") == 1 })
        paused.cancel()
        await #expect(throws: CancellationError.self) { try await paused.value }
        #expect(lanes.paused(for: "acc") == 0)
        #expect(lanes.busyAccounts == 0)
    }
}
