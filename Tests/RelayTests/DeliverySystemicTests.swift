import ReferralKit
import ReferralSandbox
import Testing

@testable import Relay

/// A wrong configuration (401, 404 naming the server) opens that server's circuit breaker: its
/// events are held instead of rejected, readiness names the server, the server is probed on a
/// backoff instead of retried per event, other servers keep flowing, and a held delivery ends
/// only by cancellation (or the breaker closing).
@Suite struct DeliverySystemicTests {
    typealias H = DeliveryHarness

    /// `srv_42` signed with a wrong secret, `srv_rot` with the right one.
    static let halfWrong = ReferralCredentials([
        "srv_42": ReferralSecret("not-the-secret"),
        "srv_rot": H.rotatedNew,
        "srv_off": H.secret,
    ])

    @Test func aWrongSecretHoldsItsServerAndProbesItWhileOtherServersFlow() async throws {
        try await H.run(credentials: Self.halfWrong) { harness in
            harness.health.assigned(partitions: 1)
            #expect(harness.health.snapshot.isReady)
            let finished = DeliveryHarness.Locked(false)
            let held = Task {
                defer { finished.withLock { $0 = true } }
                return try await harness.deliverer.deliver(H.request(.registered, account: "acc-1"))
            }
            let named = "MMOLove server srv_42: HTTP 401 bad_signature"
            #expect(try await H.eventually { harness.health.snapshot.systemicFailure == named })
            #expect(!harness.health.snapshot.isReady)
            #expect(harness.metric(RelayMetrics.Name.systemicFailure) == 1)

            // Another server's events settle while srv_42 is held; readiness keeps naming it.
            for index in 0..<5 {
                let other = try await harness.deliverer.deliver(
                    H.request(.registered, account: "acc-o\(index)", mmref: "mmr_rot_\(index)", serverID: "srv_rot"))
                #expect([.advanced, .duplicate, .firstTouchConflict].contains(other.status), "\(other.status)")
                #expect(harness.health.snapshot.systemicFailure == named, "readiness flapped")
            }

            // Held 3.5 s: one attempt, then probes at about 1 s and 3 s, never a retry per event.
            try await Task.sleep(for: .seconds(3.5))
            #expect(!finished.current)
            let attempts = harness.log(serverEventID: "reg-acc-1")
            #expect(attempts.count == 1, "\(attempts.count) attempts of the held event")
            let probes = harness.log(serverEventID: "reg-relay-probe")
            #expect((1...3).contains(probes.count), "\(probes.count) probes in 3.5 s")
            #expect(probes.allSatisfy { $0.verdict == .badSignature })
            #expect(harness.metric(RelayMetrics.Name.breakerOpened, [("server_id", "srv_42")]) == 1)

            held.cancel()
            await #expect(throws: CancellationError.self) { try await held.value }
            // The cancelled delivery let go of its account.
            #expect(harness.deliverer.lanes.busyAccounts == 0)
        }
    }

    @Test func aHeldServerWarnsOnceWithoutTheSecret() async throws {
        let recorder = H.LogRecorder()
        try await H.run(credentials: Self.halfWrong, logger: recorder.logger) { harness in
            let held = Task { try await harness.deliverer.deliver(H.request(.registered, account: "acc-1")) }
            let probed = try await H.eventually(within: .seconds(10)) {
                harness.log(serverEventID: "reg-relay-probe").count >= 2
            }
            #expect(probed)
            let warnings = recorder.lines.current.filter { $0.level == .warning }
            #expect(warnings.count == 1, "\(warnings.map(\.message))")
            #expect(warnings.first?.metadata["relay.server_id"] == "srv_42")
            #expect(warnings.first?.metadata["relay.error"] == "HTTP 401 bad_signature")
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
                harness.health.snapshot.systemicFailure == "MMOLove server srv_off: HTTP 404 referrals not enabled"
            }
            #expect(reported)
            let probed = try await H.eventually { !harness.log(serverEventID: "reg-relay-probe").isEmpty }
            #expect(probed)
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
