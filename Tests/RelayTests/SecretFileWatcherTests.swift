import Foundation
import Logging
import ReferralKit
import TestSupport
import Testing

@testable import Relay

/// Secret files are read again when Kubernetes swaps the mounted Secret; a file that cannot be
/// used keeps the secret in use.
@Suite(.timeLimit(.minutes(1))) struct SecretFileWatcherTests {
    typealias H = DeliveryHarness

    final class Applied: Sendable {
        let secrets = H.Locked<[(String, ReferralSecret)]>([])
    }

    static func watcher(
        _ mount: MountedSecret,
        current: ReferralSecret,
        recorder: H.LogRecorder = H.LogRecorder(),
        applied: Applied
    ) -> SecretFileWatcher {
        let file = RelayConfiguration.SecretFile(
            serverID: "srv_42",
            path: mount.path("referral-secret"),
            keyIDPath: mount.path("key-id"),
            key: "MMOLOVE_REFERRAL_SECRET_FILE",
            keyIDKey: "MMOLOVE_KEY_ID_FILE"
        )
        return SecretFileWatcher(
            files: [file],
            current: ReferralCredentials(serverID: "srv_42", secret: current),
            interval: .seconds(1),
            logger: recorder.logger
        ) { serverID, secret in applied.secrets.withLock { $0.append((serverID, secret)) } }
    }

    @Test func aSwappedMountIsAppliedWithItsKeyIDOnceAndOnlyOnce() async throws {
        var mount = try MountedSecret(files: ["referral-secret": "old-secret-1\n", "key-id": "k1"])
        let applied = Applied()
        let recorder = H.LogRecorder()
        let watcher = Self.watcher(
            mount, current: ReferralSecret("old-secret-1", keyID: "k1"), recorder: recorder, applied: applied)
        #expect(try await watcher.check().isEmpty, "nothing changed")

        try mount.rotate(["referral-secret": "new-secret-2\n", "key-id": "k2\n"])
        #expect(try await watcher.check() == ["srv_42"])
        #expect(applied.secrets.current.map(\.0) == ["srv_42"])
        #expect(applied.secrets.current.first?.1 == ReferralSecret("new-secret-2", keyID: "k2"))
        #expect(try await watcher.check().isEmpty, "applied once")

        let notices = recorder.lines.current.filter { $0.level == .notice }
        #expect(notices.count == 1)
        #expect(notices.first?.metadata["mmolove.kid"] == "k2")
        #expect(!recorder.text.contains { $0.contains("new-secret-2") || $0.contains("old-secret-1") })
    }

    @Test func anEmptyOrMissingFileKeepsTheSecretAndWarnsOnce() async throws {
        var mount = try MountedSecret(files: ["referral-secret": "old-secret-1", "key-id": "k1"])
        let applied = Applied()
        let recorder = H.LogRecorder()
        let watcher = Self.watcher(
            mount, current: ReferralSecret("old-secret-1", keyID: "k1"), recorder: recorder, applied: applied)
        try mount.rotate(["referral-secret": "  \n", "key-id": "k1"])
        #expect(try await watcher.check().isEmpty)
        #expect(try await watcher.check().isEmpty)
        try mount.rotate(["key-id": "k1"])  // the secret file is gone
        #expect(try await watcher.check().isEmpty)
        #expect(applied.secrets.current.isEmpty, "the secret in use stays")
        let warnings = recorder.lines.current.filter { $0.level == .warning }
        #expect(warnings.count == 2, "once per distinct problem: \(recorder.text)")
        #expect(warnings.first.map { "\($0.metadata)" }?.contains("is empty") == true)

        try mount.rotate(["referral-secret": "fixed-secret-3", "key-id": "k3"])
        #expect(try await watcher.check() == ["srv_42"])
    }

    @Test func runStopsOnGracefulShutdownAndPollsMeanwhile() async throws {
        var mount = try MountedSecret(files: ["referral-secret": "old-secret-1", "key-id": "k1"])
        let applied = Applied()
        let watcher = Self.watcher(mount, current: ReferralSecret("old-secret-1", keyID: "k1"), applied: applied)
        let running = Task { try await watcher.run() }
        try mount.rotate(["referral-secret": "new-secret-2", "key-id": "k2"])
        #expect(try await H.eventually(within: .seconds(20)) { !applied.secrets.current.isEmpty })
        running.cancel()
        try await running.value
    }
}
