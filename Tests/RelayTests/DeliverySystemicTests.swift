import ReferralKit
import ReferralSandbox
import Testing

@testable import Relay

/// A wrong configuration (401, 404 naming the server) holds events instead of rejecting them,
/// reports not-ready until any answer proves the configuration works, and a held delivery ends
/// only by cancellation.
@Suite struct DeliverySystemicTests {
    typealias H = DeliveryHarness

    /// `srv_42` signed with a wrong secret, `srv_rot` with the right one.
    static let halfWrong = ReferralCredentials([
        "srv_42": ReferralSecret("not-the-secret"),
        "srv_rot": H.rotatedNew,
        "srv_off": H.secret,
    ])

    @Test func wrongSecretIsHeldUntilCancelledAndReportedUntilAnyEventSettles() async throws {
        try await H.run(credentials: Self.halfWrong) { harness in
            harness.health.assigned(partitions: 1)
            #expect(harness.health.snapshot.isReady)
            let finished = DeliveryHarness.Locked(false)
            let held = Task {
                defer { finished.withLock { $0 = true } }
                return try await harness.deliverer.deliver(H.request(.registered, account: "acc-1"))
            }
            #expect(try await H.eventually { harness.health.snapshot.systemicFailure == "401 bad_signature" })
            #expect(!harness.health.snapshot.isReady)
            #expect(harness.metric(RelayMetrics.Name.systemicFailure) == 1)

            // Still held a few seconds later, retrying with backoff, never rejected.
            try await Task.sleep(for: .seconds(2))
            #expect(!finished.current)
            let attempts = harness.log(serverEventID: "reg-acc-1")
            // Backoffs are 10–50 ms: even a loaded machine makes several attempts in 2 s.
            #expect(attempts.count >= 3)
            #expect(attempts.allSatisfy { $0.verdict == .badSignature })
            #expect(harness.metric(RelayMetrics.Name.retries, [("reason", "systemic")]).map { $0 >= 2 } == true)

            // Another server's event settles: the endpoint works, readiness comes back.
            let other = try await harness.deliverer.deliver(
                H.request(.registered, account: "acc-2", mmref: "mmr_rot", serverID: "srv_rot"))
            #expect(other.status == .advanced)
            #expect(harness.health.snapshot.systemicFailure == nil)
            #expect(harness.health.snapshot.isReady)
            #expect(harness.metric(RelayMetrics.Name.systemicFailure) == 0)

            held.cancel()
            await #expect(throws: CancellationError.self) { try await held.value }
            // The cancelled delivery let go of its account.
            #expect(harness.deliverer.lanes.busyAccounts == 0)
        }
    }

    @Test func heldStreamWarnsOncePerTransitionWithoutTheSecret() async throws {
        let recorder = H.LogRecorder()
        try await H.run(credentials: Self.halfWrong, logger: recorder.logger) { harness in
            let held = Task { try await harness.deliverer.deliver(H.request(.registered, account: "acc-1")) }
            let retried = try await H.eventually { harness.log(serverEventID: "reg-acc-1").count >= 10 }
            #expect(retried)
            let warnings = recorder.lines.current.filter { $0.level == .warning }
            #expect(warnings.count == 1)
            #expect(warnings.first?.metadata["relay.http_status"] == "401")
            #expect(warnings.first?.metadata["relay.error"] == "bad_signature")
            _ = try await harness.deliverer.deliver(
                H.request(.registered, account: "acc-2", mmref: "mmr_rot", serverID: "srv_rot"))
            #expect(recorder.lines.current.contains { $0.level == .notice })
            held.cancel()
            _ = try? await held.value
            // Neither secret appears in any line, at any level.
            #expect(!recorder.text.contains { $0.contains("not-the-secret") || $0.contains("rotated-secret-2") })
        }
    }

    @Test func referralsSwitchedOffIsHeldNotRejected() async throws {
        try await H.run(credentials: Self.halfWrong) { harness in
            let held = Task {
                try await harness.deliverer.deliver(H.request(.qualified, account: "acc-1", serverID: "srv_off"))
            }
            let reported = try await H.eventually {
                harness.health.snapshot.systemicFailure == "404 referrals not enabled"
            }
            #expect(reported)
            let retried = try await H.eventually { harness.log(serverEventID: "qual-acc-1").count >= 3 }
            #expect(retried)
            held.cancel()
            await #expect(throws: CancellationError.self) { try await held.value }
        }
    }

    @Test func cancellationEndsAnAttemptInFlight() async throws {
        // Every answer takes 30 s: the cancelled request must end at once, not after the answer.
        try await H.run(faults: SandboxFaults(latencyMilliseconds: 30_000)) { harness in
            let started = DeliveryHarness.Locked(false)
            let delivery = Task {
                started.withLock { $0 = true }
                return try await harness.deliverer.deliver(H.request(.registered, account: "acc-1"))
            }
            #expect(try await H.eventually { started.current && harness.deliverer.lanes.busyAccounts == 1 })
            try await Task.sleep(for: .milliseconds(200))
            delivery.cancel()
            await #expect(throws: CancellationError.self) { try await delivery.value }
            #expect(harness.deliverer.lanes.busyAccounts == 0)
        }
    }
}
