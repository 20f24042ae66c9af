import Foundation
import Kafka
import ReferralKit
import ReferralSandbox
import TestSupport
import Testing

/// Secrets as an operator runs them: a referral secret rotated in place while the relay runs, and
/// nothing the built executable writes (logs at trace level, outcomes, dead letters, /metrics, the
/// errors of bad configurations) ever shows a configured secret, Kafka ones included.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RelaySecretsTests {
    /// A fresh random secret-looking value (long enough for the redactor's anywhere rule).
    static func secret(_ label: String) -> String {
        "\(label)-\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
    }

    /// The sandbox switches to the new key at the moment the mounted Secret is swapped, while
    /// events are being retried (the sandbox answers 500 to everything): every event, retried,
    /// new or earlier, ends advanced, nothing is rejected or dead-lettered, and every request
    /// accepted after the swap was signed with the new key id.
    @Test func rotatingTheSecretFileMidRunDeliversEverythingAndRejectsNothing() async throws {
        try await RelayHarness.run { harness in
            let newSecret = Self.secret("whsec_rotated")
            var mount = try MountedSecret(files: ["referral-secret": harness.secret + "\n", "key-id": "k1\n"])
            try harness.store.setSecrets(
                [ReferralSecret(harness.secret, keyID: "k1")], forServer: RelayHarness.serverID)
            let relay = try await harness.startReadyRelay([
                "MMOLOVE_REFERRAL_SECRET_FILE": mount.path("referral-secret"),
                "MMOLOVE_KEY_ID_FILE": mount.path("key-id"),
                "MMOLOVE_SECRET_POLL_SECONDS": "1",
            ])
            let before = TestAccount.referred("rot-before", count: 8)
            let during = TestAccount.referred("rot-during", count: 8)
            let after = TestAccount.referred("rot-after", count: 8)
            func records(_ accounts: [TestAccount]) -> [KafkaProducerRecord] {
                accounts.flatMap {
                    [
                        RelayHarness.accountCreated($0.id, mmref: $0.mmref),
                        RelayHarness.milestoneReached($0.id, milestone: "level_10", mmref: $0.mmref),
                    ]
                }
            }
            let reader = try await harness.outputReader()
            try await harness.produce(records(before))
            #expect(try await reader.read(timeout: .seconds(20)) { $0.count >= 16 }, "log: \(relay.logPath)")

            // Events in retry when the rotation happens.
            try harness.store.setFaults(SandboxFaults(failRate: 1.0))
            try await harness.produce(records(during))
            let retrying = try await eventually(timeout: .seconds(15)) {
                Set(harness.deliveries.filter { $0.verdict == .faultFailure }.compactMap(\.serverEventID)).count >= 8
            }
            #expect(retrying, "events of the second batch are being retried")

            // MMOLove accepts only k2 from now on; the kubelet swaps the mount; MMOLove recovers.
            let swap = harness.store.log.count
            try harness.store.setSecrets([ReferralSecret(newSecret, keyID: "k2")], forServer: RelayHarness.serverID)
            try mount.rotate(["referral-secret": newSecret + "\n", "key-id": "k2\n"])
            try harness.store.setFaults(.none)
            try await harness.produce(records(after))

            let all = before + during + after
            let outputs = try RelayOutputs(await reader.readAll(expecting: all.count * 2, timeout: .seconds(40)))
            await reader.close()
            let events = Set(all.flatMap { [$0.registered, $0.qualified] })
            #expect(Set(outputs.outcomes.map(\.serverEventID)) == events, "everything delivered; log: \(relay.logPath)")
            #expect(outputs.outcomes.allSatisfy { $0.status == "advanced" }, "\(outputs.outcomes.map(\.status))")
            #expect(outputs.deadLetters.isEmpty, "nothing dead-lettered")
            #expect(harness.acceptedAsNew.values.allSatisfy { $0 == 1 })
            let accepted = harness.store.log.dropFirst(swap).filter { $0.verdict == .advanced }
            #expect(!accepted.isEmpty)
            for entry in accepted {
                let header = entry.headers.first { $0.first?.lowercased() == "x-mmolove-signature" }?.last ?? ""
                #expect(try ReferralSignature(parsing: header).keyID == "k2", "accepted after the swap with k2")
            }
            #expect(relay.log.contains("referral secret rotated"), "the rotation is logged")
            #expect(await relay.terminate() == 0)
            harness.expectSecretNeverPrinted()
            Self.expectNeverPrinted([newSecret], by: harness.relays)
        }
    }

    /// Every configured secret in every place a secret could hide: Kafka passthrough properties
    /// (a `sasl.password`; a malformed `sasl.oauthbearer.config` librdkafka complains about,
    /// quoting it from the bad piece on), an endpoint with userinfo and `?key=`, and the referral
    /// secret. Three runs of the built executable: a working one at trace level (transport
    /// failures and an unknown token put errors in outcomes and dead letters), one whose Kafka
    /// client cannot authenticate, and bad configurations.
    @Test func noConfiguredSecretAppearsInAnythingTheRelayWrote() async throws {
        let saslPassword = Self.secret("sasl-pw")
        let oauthPiece = Self.secret("oauth-piece")
        let urlPassword = Self.secret("url-pw")
        let queryKey = Self.secret("query-key")
        try await RelayHarness.run(faults: SandboxFaults(dropFirst: 2), unknownTokens: ["mmr_gone_scan"]) { harness in
            let secrets = [harness.secret, saslPassword, oauthPiece, urlPassword, queryKey]
            let endpoint =
                harness.sandbox.eventsURL.replacingOccurrences(
                    of: "://", with: "://relay:\(urlPassword)@") + "?key=\(queryKey)"
            var written: [String] = []

            // 1. A working run at trace level.
            let relay = try await harness.startReadyRelay([
                "RELAY_LOG_LEVEL": "trace",
                "MMOLOVE_ENDPOINT": endpoint,
                "RDKAFKA_SASL_PASSWORD": saslPassword,
                "RDKAFKA_SASL_OAUTHBEARER_CONFIG": "principal=relay bogus=\(oauthPiece)",
                // The two dropped connections end two events as `failed` at once, with the
                // transport error (which names the endpoint) in the outcome and the dead letter.
                "RELAY_MAX_ATTEMPTS": "1",
            ])
            let accounts =
                TestAccount.referred("scan", count: 6) + [
                    TestAccount(id: "scan-gone-\(UUID().uuidString.prefix(6))", mmref: .token("mmr_gone_scan"))
                ]
            try await harness.produce(
                accounts.map { RelayHarness.accountCreated($0.id, mmref: $0.mmref) } + [
                    KafkaProducerRecord(
                        topic: RelayHarness.accountCreated, key: Array("scan-bad".utf8), value: Array("{nope".utf8))
                ])
            let reader = try await harness.outputReader()
            let messages = try await reader.readAll(expecting: accounts.count + 1, timeout: .seconds(30))
            await reader.close()
            let outputs = try RelayOutputs(messages)
            #expect(outputs.outcomes.count == accounts.count, "log: \(relay.logPath)")
            #expect(outputs.outcomes.contains { $0.status == "failed" }, "transport failures reached an outcome")
            #expect(outputs.deadLetters.count >= 2, "rejected, failed and malformed records were dead-lettered")
            for message in messages {
                written.append(message.keyString ?? "")
                written.append(message.valueString)
                written += message.headers.map { "\($0.key)=\(String(decoding: $0.value ?? [], as: UTF8.self))" }
            }
            written.append(try await RelayHarness.get(relay.opsURL + "/metrics").body)
            written.append(try await RelayHarness.get(relay.opsURL + "/readyz").body)
            #expect(await relay.terminate() == 0)
            // At trace level everything is written (the most detailed lines are debug ones).
            #expect(relay.log.contains("\"level\":\"debug\""), "detailed logs were written")

            // 2. A Kafka client whose OAUTHBEARER configuration is malformed.
            let unauthenticated = try await harness.startRelay([
                "RELAY_LOG_LEVEL": "trace",
                "MMOLOVE_ENDPOINT": endpoint,
                "RDKAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "RDKAFKA_SASL_MECHANISMS": "OAUTHBEARER",
                "RDKAFKA_ENABLE_SASL_OAUTHBEARER_UNSECURE_JWT": "true",
                "RDKAFKA_SASL_OAUTHBEARER_CONFIG": "principal=relay bogus=\(oauthPiece)",
            ])
            let complained = try await eventually(timeout: .seconds(15)) {
                unauthenticated.log.contains("sasl.oauthbearer.config beginning at")
            }
            #expect(complained, "librdkafka's complaint was logged; log: \(unauthenticated.logPath)")
            #expect(unauthenticated.log.contains("beginning at: [REDACTED]"))
            written.append(try await RelayHarness.get(unauthenticated.opsURL + "/metrics").body)
            _ = await unauthenticated.terminate(timeout: .seconds(15))

            // 3. Bad configurations, refused at start-up (78) or when the Kafka client is made (1).
            let base = harness.environment([
                "MMOLOVE_REFERRAL_SECRET_FILE": "", "MMOLOVE_REFERRAL_SECRET": harness.secret,
                "RDKAFKA_SASL_PASSWORD": saslPassword,
                "RDKAFKA_SASL_OAUTHBEARER_CONFIG": "principal=relay bogus=\(oauthPiece)",
            ])
            let bad: [(status: Int32, change: [String: String])] = [
                (78, ["MMOLOVE_ENDPOINT": "ftp://relay:\(urlPassword)@mmolove.example/x?key=\(queryKey)"]),
                (78, ["MMOLOVE_ENDPOINT": "https://relay:\(urlPassword)@/x?key=\(queryKey)"]),
                (1, ["MMOLOVE_ENDPOINT": endpoint, "RDKAFKA_SASL_OAUTHBEARER_METHOD": oauthPiece]),
                (
                    1,
                    [
                        "MMOLOVE_ENDPOINT": endpoint, "RDKAFKA_SSL_KEY_PASSWORD": saslPassword,
                        "RDKAFKA_BOGUS_PROPERTY": "x",
                    ]
                ),
            ]
            for (status, change) in bad {
                let result = try await Executable.run(["run"], environment: base.merging(change) { $1 })
                #expect(result.status == status, "\(change.keys): \(result.stderr)")
                written += [result.stdout, result.stderr]
            }

            Self.expectNeverPrinted(secrets, by: harness.relays, also: written)
            harness.expectSecretNeverPrinted()
        }
    }

    /// Expects that none of `secrets` is in the output of `relays` or in `also`.
    static func expectNeverPrinted(
        _ secrets: [String],
        by relays: [RunningRelay],
        also: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let outputs =
            relays.map { ($0.logPath, $0.log + $0.standardOutput.joined(separator: "\n")) }
            + also.enumerated().map { ("written[\($0.offset)]", $0.element) }
        for (place, text) in outputs {
            for secret in secrets where text.contains(secret) {
                Issue.record("a configured secret appears in \(place)", sourceLocation: sourceLocation)
            }
        }
    }
}
