import Foundation
import Kafka
import ReferralSandbox
import Testing

/// `referral-relay run` as a real child process against the embedded broker and the in-process
/// sandbox: what an operator and the reward service would check after a run.
///
/// Serialized: each test runs one or two relays, a broker and a sandbox; in parallel on two
/// cores they would only measure contention.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RelayRunTests {
    /// A mixed run: every referred account gets exactly one accepted `registered` and (when its
    /// milestone qualifies) one accepted `qualified`; the outcome topic holds exactly the expected
    /// records; the malformed record and the rejected events are dead-lettered with their context;
    /// skipped inputs leave no trace; offsets are committed to the end; SIGTERM exits 0.
    @Test func relaysAMixedRunOnceEachAndCommitsToTheEnd() async throws {
        let unknown = TestAccount(id: "full-unknown-\(UUID().uuidString.prefix(6))", mmref: .token("mmr_gone_e2e"))
        try await RelayHarness.run(unknownTokens: ["mmr_gone_e2e"]) { harness in
            let relay = try await harness.startReadyRelay()
            let qualifying = TestAccount.referred("full-q", count: 22)
            let nonQualifying = TestAccount.referred("full-nq", count: 8)
            let notReferred: [TestAccount] = TestAccount.referred("full-nr", count: 8).enumerated().map {
                index, account in
                TestAccount(id: account.id, mmref: [.null, .empty, .absent][index % 3])
            }
            let malformed = "full-bad-\(UUID().uuidString.prefix(6))"

            var records: [KafkaProducerRecord] = []
            for (index, account) in (qualifying + [unknown]).enumerated() {
                // Half the games name the server, half rely on MMOLOVE_SERVER_ID.
                let server = index.isMultiple(of: 2) ? RelayHarness.serverID : nil
                records.append(RelayHarness.accountCreated(account.id, mmref: account.mmref, serverID: server))
                records.append(RelayHarness.milestoneReached(account.id, milestone: "level_10", mmref: account.mmref))
            }
            for account in nonQualifying {
                records.append(RelayHarness.accountCreated(account.id, mmref: account.mmref))
                records.append(
                    RelayHarness.milestoneReached(account.id, milestone: "tutorial_done", mmref: account.mmref))
            }
            for account in notReferred {
                records.append(RelayHarness.accountCreated(account.id, mmref: account.mmref))
                records.append(RelayHarness.milestoneReached(account.id, milestone: "level_10", mmref: account.mmref))
            }
            records.append(
                KafkaProducerRecord(
                    topic: RelayHarness.accountCreated,
                    key: Array(malformed.utf8),
                    value: Array("{not json".utf8),
                    headers: [KafkaHeader(key: "producer", value: Array("game-server-7".utf8))]
                )
            )
            let positions = try await harness.produce(records)
            var source: [String: InputPosition] = [:]
            for (record, position) in zip(records, positions) {
                source["\(record.topic)/\(String(decoding: record.key ?? [], as: UTF8.self))"] = position
            }

            // What the reward service must see: server_event_id → (status, account).
            struct Expected {
                var account: TestAccount
                var event: String
                var status: String
                var topic: String
            }
            var expected: [String: Expected] = [:]
            for account in qualifying {
                expected[account.registered] = Expected(
                    account: account, event: "registered", status: "advanced", topic: RelayHarness.accountCreated)
                expected[account.qualified] = Expected(
                    account: account, event: "qualified", status: "advanced", topic: RelayHarness.milestoneReached)
            }
            for account in nonQualifying {
                expected[account.registered] = Expected(
                    account: account, event: "registered", status: "advanced", topic: RelayHarness.accountCreated)
            }
            expected[unknown.registered] = Expected(
                account: unknown, event: "registered", status: "rejected", topic: RelayHarness.accountCreated)
            // Its registered rejected, the referee store (on by default) keeps its qualified from
            // being sent: an outcome says why, no request, no dead letter.
            expected[unknown.qualified] = Expected(
                account: unknown, event: "qualified", status: "registration_failed",
                topic: RelayHarness.milestoneReached)
            #expect(expected.count == 54)

            let reader = try await harness.outputReader()
            let outputs = try RelayOutputs(
                await reader.readAll(expecting: expected.count + 2, timeout: .seconds(25)))
            await reader.close()

            // The outcome topic: exactly one record per expected event, nothing else.
            #expect(outputs.outcomes.count == expected.count, "outcomes; log: \(relay.logPath)")
            #expect(Set(outputs.outcomes.map(\.serverEventID)) == Set(expected.keys))
            for outcome in outputs.outcomes {
                guard let want = expected[outcome.serverEventID] else { continue }
                let what = "outcome \(outcome.serverEventID)"
                #expect(outcome.schema == "referral-outcome/v1", "\(what)")
                #expect(outcome.status == want.status, "\(what)")
                #expect(outcome.event == want.event, "\(what)")
                #expect(outcome.accountID == want.account.id, "\(what)")
                #expect(outcome.key == want.account.id, "\(what): the key is the account id")
                #expect(outcome.serverID == RelayHarness.serverID, "\(what)")
                #expect(outcome.mmref == want.account.mmref.token, "\(what)")
                #expect(outcome.reward == (want.event == "qualified" && want.status == "advanced"), "\(what)")
                #expect(outcome.replay == false, "\(what)")
                #expect(outcome.attempts >= (want.status == "registration_failed" ? 0 : 1), "\(what)")
                let position = source["\(want.topic)/\(want.account.id)"]
                #expect(
                    InputPosition(
                        topic: outcome.source.topic, partition: outcome.source.partition,
                        offset: outcome.source.offset) == position, "\(what): source")
                if want.status == "advanced" {
                    #expect(outcome.httpStatus == 200, "\(what)")
                    #expect(outcome.referralID != nil, "\(what)")
                    #expect(outcome.state == want.event, "\(what)")
                } else if want.status == "registration_failed" {
                    #expect(outcome.httpStatus == nil, "\(what): never sent")
                    #expect(outcome.error?.contains("rejected") == true, "\(what): says how the registration ended")
                } else {
                    #expect(outcome.httpStatus == 404, "\(what)")
                    #expect(outcome.error?.isEmpty == false, "\(what): a rejection says why")
                }
            }

            // The DLQ: the malformed record (stage decode) and the rejected registered's source.
            #expect(outputs.deadLetters.count == 2, "dead letters; log: \(relay.logPath)")
            let bad = outputs.deadLetters.first { $0.keyString == malformed }
            #expect(bad?.valueString == "{not json")
            #expect(bad?.header("producer") == "game-server-7", "original headers are kept")
            #expect(bad?.header("__connect.errors.stage") == "decode")
            #expect(bad?.header("__connect.errors.topic") == RelayHarness.accountCreated)
            let badSource = source["\(RelayHarness.accountCreated)/\(malformed)"]
            #expect(bad?.header("__connect.errors.partition") == badSource.map { "\($0.partition)" })
            #expect(bad?.header("__connect.errors.offset") == badSource.map { "\($0.offset)" })
            #expect(bad?.header("__connect.errors.exception.message")?.isEmpty == false)
            #expect(bad?.header("__connect.errors.connector.name") == "referral-relay")
            for topic in [RelayHarness.accountCreated] {
                let letter = outputs.deadLetters.first {
                    $0.keyString == unknown.id && $0.header("__connect.errors.topic") == topic
                }
                let original = records.first { $0.topic == topic && $0.key == Array(unknown.id.utf8) }
                let position = source["\(topic)/\(unknown.id)"]
                #expect(letter != nil, "dead letter of \(topic)/\(unknown.id)")
                #expect(letter?.value == original?.value, "the original value, unchanged")
                #expect(letter?.header("__connect.errors.stage") == "deliver")
                #expect(letter?.header("__connect.errors.http.status") == "404")
                #expect(letter?.header("__connect.errors.partition") == position.map { "\($0.partition)" })
                #expect(letter?.header("__connect.errors.offset") == position.map { "\($0.offset)" })
                #expect(letter?.header("__connect.errors.exception.message")?.isEmpty == false)
            }

            // The sandbox: one acceptance per event, every signature verified, nothing for the rest.
            let accepted = harness.acceptedAsNew
            for account in qualifying {
                #expect(accepted[account.registered] == 1, "\(account.registered)")
                #expect(accepted[account.qualified] == 1, "\(account.qualified)")
            }
            for account in nonQualifying {
                #expect(accepted[account.registered] == 1, "\(account.registered)")
            }
            #expect(accepted.count == qualifying.count * 2 + nonQualifying.count)
            let deliveries = harness.deliveries
            let silent = Set((nonQualifying.map(\.qualified) + notReferred.flatMap { [$0.registered, $0.qualified] }))
                .union(["reg-\(malformed)"])
            #expect(deliveries.filter { silent.contains($0.serverEventID ?? "") }.isEmpty)
            #expect(deliveries.filter { $0.status == 400 || $0.status == 401 }.isEmpty, "signatures verified")
            #expect(deliveries.allSatisfy { !$0.test }, "real events, not dry runs")
            #expect(
                deliveries.filter { $0.verdict == .unknownToken }.allSatisfy { $0.token == "mmr_gone_e2e" },
                "only the unknown token is unknown")
            #expect(
                deliveries.filter { $0.serverEventID == unknown.qualified }.isEmpty, "a qualified after a rejection")

            let behind = try await harness.waitForCommitsAtEnd()
            #expect(behind.isEmpty, "committed offsets reach every high watermark; behind: \(behind)")

            #expect(await relay.terminate() == 0, "SIGTERM exits 0; log: \(relay.logPath)")
            harness.expectSecretNeverPrinted()
        }
    }

    /// The ops port of a running relay: liveness at once, readiness once it has partitions, and
    /// Prometheus metrics counting deliveries without per-account labels.
    @Test func servesHealthReadinessAndMetrics() async throws {
        try await RelayHarness.run { harness in
            let relay = try await harness.startRelay()
            let live = try await eventually(timeout: .seconds(5)) {
                (try? await RelayHarness.get(relay.opsURL + "/healthz"))?.status == 200
            }
            #expect(live, "/healthz answers 200 while running")
            let ready = try await eventually(timeout: .seconds(20)) {
                (try? await RelayHarness.get(relay.opsURL + "/readyz"))?.status == 200
            }
            #expect(ready, "/readyz answers 200 once partitions are assigned")

            let account = TestAccount.referred("ops", count: 1)[0]
            try await harness.produce([
                RelayHarness.accountCreated(account.id, mmref: account.mmref),
                RelayHarness.milestoneReached(account.id, milestone: "first_purchase", mmref: account.mmref),
            ])
            let reader = try await harness.outputReader()
            let delivered = try await reader.read(timeout: .seconds(15)) { $0.count >= 2 }
            await reader.close()
            #expect(delivered, "both outcomes published")

            let metrics = try await RelayHarness.get(relay.opsURL + "/metrics")
            #expect(metrics.status == 200)
            let samples = metrics.body.split(separator: "\n").filter { $0.hasPrefix("relay_deliveries_total") }
            let total = samples.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
            #expect(total >= 2, "relay_deliveries_total counts both deliveries: \(samples)")
            #expect(!metrics.body.contains(account.id), "no account id in metric labels")
            #expect(!metrics.body.contains(account.mmref.token ?? "-"), "no token in metric labels")

            #expect(await relay.terminate() == 0)
            harness.expectSecretNeverPrinted()
        }
    }

    /// An operator's mistake is named and stops the process with EX_CONFIG (78), before any
    /// connection, and never echoes the secret.
    @Test(arguments: [
        ("KAFKA_BROKERS", ["KAFKA_BROKERS": ""]),
        ("RELAY_OPS_PORT", ["RELAY_OPS_PORT": "eighty"]),
        ("MMOLOVE_REFERRAL_SECRET_FILE", ["MMOLOVE_REFERRAL_SECRET_FILE": "/nonexistent/referral-secret"]),
    ])
    func refusesAnInvalidConfigurationNamingTheKey(key: String, change: [String: String]) async throws {
        let secret = "whsec_never_print_\(UUID().uuidString.prefix(8))"
        var environment: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "KAFKA_BROKERS": "127.0.0.1:9",
            "MMOLOVE_ENDPOINT": "http://127.0.0.1:9/api/referral/events",
            "MMOLOVE_SERVER_ID": RelayHarness.serverID,
            "MMOLOVE_REFERRAL_SECRET": secret,
            "RELAY_OPS_PORT": "0",
        ]
        for (name, value) in change { environment[name] = value.isEmpty ? nil : value }
        if environment["MMOLOVE_REFERRAL_SECRET_FILE"] != nil { environment["MMOLOVE_REFERRAL_SECRET"] = nil }
        let result = try await Executable.run(["run"], environment: environment)
        #expect(result.status == 78, "exit status; stderr: \(result.stderr)")
        #expect(result.stderr.contains("configuration error"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains(key), "stderr names \(key): \(result.stderr)")
        #expect(!result.stdout.contains(RunningRelay.announcement), "nothing started")
        #expect(!(result.stdout + result.stderr).contains(secret), "the secret is never printed")
    }
}
