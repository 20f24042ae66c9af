import ReferralKit
import ReferralSandbox
import Testing

@testable import Relay

/// Per-account order: a `qualified` never overtakes its account's `registered`, a `qualified`
/// that arrived first waits (without blocking the `registered`), and the wait is bounded.
@Suite struct DeliveryOrderingTests {
    typealias H = DeliveryHarness

    @Test func qualifiedBeforeRegisteredWaitsAndAdvancesAfterIt() async throws {
        try await H.run { harness in
            let qualified = Task { try await harness.deliverer.deliver(H.request(.qualified, account: "acc-1")) }
            // The qualified got its 422 and is waiting (the other topic is behind).
            let refused = try await H.eventually {
                harness.log(serverEventID: "qual-acc-1").contains { $0.status == 422 }
            }
            #expect(refused)
            let registered = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1"))
            #expect(registered.status == .advanced)
            let result = try await qualified.value
            #expect(result.status == .advanced)
            #expect(result.state == "qualified")
            #expect(result.attempts >= 2)
            let log = harness.server.store.log
            let registeredAt = try #require(log.firstIndex { $0.body.contains("reg-acc-1") && $0.status == 200 })
            let qualifiedAt = try #require(log.lastIndex { $0.body.contains("qual-acc-1") })
            #expect(log[qualifiedAt].status == 200)
            #expect(qualifiedAt > registeredAt)
            #expect(log[..<registeredAt].allSatisfy { !$0.body.contains("qual-acc-1") || $0.status == 422 })
            #expect(
                harness.metric(RelayMetrics.Name.retries, [("event", "qualified"), ("reason", "invalid_transition")])
                    .map { $0 >= 1 } == true)
        }
    }

    @Test func registeredGoingThroughWakesTheWaitingQualifiedEarly() async throws {
        // Every backoff waits its full 20 s ceiling: only the wake-up can end the wait sooner.
        let delivery = RelayConfiguration.Delivery(
            initialBackoff: .seconds(20), maxBackoff: .seconds(20), qualifiedWait: .seconds(60))
        try await H.run(delivery: delivery, random: H.CeilingGenerator()) { harness in
            let started = ContinuousClock.now
            let qualified = Task { try await harness.deliverer.deliver(H.request(.qualified, account: "acc-1")) }
            let paused = try await H.eventually { harness.deliverer.lanes.paused(for: "acc-1") == 1 }
            #expect(paused)
            let registered = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1"))
            #expect(registered.status == .advanced)
            let result = try await qualified.value
            #expect(result.status == .advanced)
            #expect(result.attempts == 2)
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    @Test func registeredInFlightHoldsBackItsQualified() async throws {
        // Each answer takes 300 ms, so the qualified arrives while the registered is in flight.
        try await H.run(faults: SandboxFaults(latencyMilliseconds: 300)) { harness in
            let registered = Task { try await harness.deliverer.deliver(H.request(.registered, account: "acc-1")) }
            let inFlight = try await H.eventually { harness.deliverer.lanes.busyAccounts == 1 }
            #expect(inFlight)
            let qualified = Task { try await harness.deliverer.deliver(H.request(.qualified, account: "acc-1")) }
            let waiting = try await H.eventually { harness.deliverer.lanes.waiters(for: "acc-1") == 1 }
            #expect(waiting)
            // Another account is not held back meanwhile.
            let other = try await harness.deliverer.deliver(H.request(.registered, account: "acc-2", mmref: "mmr_2"))
            #expect(other.status == .advanced)
            #expect(try await registered.value.status == .advanced)
            let result = try await qualified.value
            #expect(result.status == .advanced)
            // Never sent before its registered landed: no 422 at all.
            #expect(result.attempts == 1)
            #expect(harness.server.store.log.allSatisfy { $0.status == 200 })
            #expect(harness.deliverer.lanes.busyAccounts == 0)
        }
    }

    @Test func qualifiedWhoseRegisteredNeverLandsIsRejectedAfterTheWait() async throws {
        try await H.run(delivery: H.fastDelivery(qualifiedWait: .milliseconds(300))) { harness in
            let result = try await harness.deliverer.deliver(H.request(.qualified, account: "acc-1"))
            #expect(result.status == .rejected)
            #expect(result.httpStatus == 422)
            #expect(result.attempts >= 2)
            #expect(result.error?.contains("registered never landed") == true)
            let first = try #require(result.firstAttemptAt)
            #expect(result.completedAt.timeIntervalSince(first) >= 0.3)
            #expect(harness.log(serverEventID: "qual-acc-1").allSatisfy { $0.status == 422 })
        }
    }
}
