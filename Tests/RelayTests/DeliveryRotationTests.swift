import Foundation
import ReferralKit
import ReferralSandbox
import TestSupport
import Testing

@testable import Relay

/// A rotated secret takes effect on the next attempt of every delivery, in flight or new, and on
/// the next probe of an open circuit breaker; a rotation MMOLove rejects holds the events
/// (the server's breaker opens) instead of rejecting them.
@Suite(.timeLimit(.minutes(1))) struct DeliveryRotationTests {
    typealias H = DeliveryHarness

    static let old = ReferralSecret("old-secret-k1", keyID: "k1")
    static let new = ReferralSecret("new-secret-k2", keyID: "k2")

    /// The key id of a logged request's signature header.
    static func keyID(_ entry: SandboxLogEntry) throws -> String? {
        let header = try #require(
            entry.headers.first { $0.first?.lowercased() == ReferralSignature.headerName.lowercased() })
        return try ReferralSignature(parsing: header[1]).keyID
    }

    @Test func anEventBeingRetriedReSignsWithTheSecretRotatedMeanwhile() async throws {
        try await H.run(credentials: ReferralCredentials(serverID: "srv_42", secret: Self.old)) { harness in
            // MMOLove already switched to k2 and the relay has not yet: 401, held, never rejected.
            try harness.server.store.setSecrets([Self.new], forServer: "srv_42")
            harness.health.assigned(partitions: 1)
            let delivery = Task {
                try await harness.deliverer.deliver(H.request(.registered, account: "acc-1", mmref: "mmr_acc_1"))
            }
            // The server's circuit breaker opened on the first 401 and probes it meanwhile.
            #expect(try await H.eventually { !harness.log(serverEventID: "reg-relay-probe").isEmpty })
            #expect(harness.health.snapshot.systemicFailure == "MMOLove server srv_42: HTTP 401 bad_signature")

            harness.deliverer.useSecret(Self.new, for: "srv_42")
            let result = try await delivery.value
            #expect(result.status == .advanced)
            let attempts = harness.log(serverEventID: "reg-acc-1")
            #expect(attempts.dropLast().allSatisfy { $0.verdict == .badSignature })
            #expect(try Self.keyID(try #require(attempts.last)) == "k2", "the last attempt signed with k2")
            #expect(harness.health.snapshot.systemicFailure == nil, "healed")

            // New deliveries sign with k2 from the start.
            let next = try await harness.deliverer.deliver(H.request(.registered, account: "acc-2", mmref: "mmr_acc_2"))
            #expect(next.status == .advanced && next.attempts == 1)
        }
    }

    @Test func aRotationMMOLoveRejectsHoldsEventsUntilTheNextRotation() async throws {
        var mount = try MountedSecret(files: ["referral-secret": "whsec_test_3f9a1c"])
        try await H.run { harness in
            let recorder = H.LogRecorder()
            let deliverer = harness.deliverer
            let watcher = SecretFileWatcher(
                files: [
                    RelayConfiguration.SecretFile(
                        serverID: "srv_42", path: mount.path("referral-secret"), key: "MMOLOVE_REFERRAL_SECRET_FILE")
                ],
                current: ReferralCredentials(serverID: "srv_42", secret: H.secret),
                interval: .seconds(1),
                logger: recorder.logger
            ) { serverID, secret in deliverer.useSecret(secret, for: serverID) }
            #expect(
                try await harness.deliverer.deliver(H.request(.registered, account: "acc-0", mmref: "mmr_acc_0")).status
                    == .advanced)

            // A bad rotation: a secret MMOLove does not know.
            try mount.rotate(["referral-secret": "typo-secret"])
            #expect(try await watcher.check() == ["srv_42"])
            let held = (1...5).map { index in
                Task {
                    try await harness.deliverer.deliver(
                        H.request(.registered, account: "acc-\(index)", mmref: "mmr_acc_\(index)"))
                }
            }
            // Refused, then held by the server's circuit breaker, which probes it.
            #expect(
                try await H.eventually {
                    !harness.log(serverEventID: "reg-relay-probe").isEmpty
                        && harness.server.store.stats.byVerdict[SandboxVerdict.badSignature.rawValue, default: 0] >= 2
                })
            #expect(harness.health.snapshot.systemicFailure == "MMOLove server srv_42: HTTP 401 bad_signature")

            // The fix: the next rotation carries the right secret; every held event goes through.
            try mount.rotate(["referral-secret": "whsec_test_3f9a1c"])
            #expect(try await watcher.check() == ["srv_42"])
            for task in held {
                #expect(try await task.value.status == .advanced)
            }
            #expect(harness.health.snapshot.systemicFailure == nil)
            #expect(!recorder.text.contains { $0.contains("typo-secret") })
        }
    }
}
