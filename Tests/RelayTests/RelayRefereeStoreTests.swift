import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle
import Testing

/// The referee store in a whole relay, over loopback: milestones without `mmref` find their
/// account's token, no `qualified` follows a failed registration, and a new instance restores
/// the store from its topic.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RelayRefereeStoreTests {
    typealias H = RelayGroupHarness

    /// Produces `records` (topic, key, JSON) in this order, one at a time.
    static func produce(_ cluster: MockCluster, _ records: [(String, String, String)]) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]), logger: H.logger)
        for (topic, key, value) in records {
            _ = try await producer.send(
                KafkaProducerRecord(topic: topic, key: Array(key.utf8), value: Array(value.utf8)))
        }
        await producer.close()
    }

    static func created(_ account: String, token: String?) -> (String, String, String) {
        let mmref = token.map { #","mmref":"\#($0)""# } ?? ""
        return (H.topics.accountCreated, account, #"{"account_id":"\#(account)"\#(mmref)}"#)
    }

    static func milestone(_ account: String, token: String? = nil) -> (String, String, String) {
        let mmref = token.map { #","mmref":"\#($0)""# } ?? ""
        return (H.topics.milestoneReached, account, #"{"account_id":"\#(account)","milestone":"level_10"\#(mmref)}"#)
    }

    /// Runs a relay with `configuration` (the referee store on) until `body` returns.
    static func withRelay(
        _ configuration: RelayConfiguration, logger: Logger = H.logger, _ body: () async throws -> Void
    ) async throws {
        var configuration = configuration
        configuration.referees.enabled = true
        let relay = ServiceGroup(
            services: try buildRelay(configuration: configuration, logger: logger), logger: logger)
        let run = Task { try await relay.run() }
        do {
            try await body()
        } catch {
            await relay.triggerGracefulShutdown()
            _ = try? await run.value
            throw error
        }
        await relay.triggerGracefulShutdown()
        try await run.value
    }

    /// The `qualified` requests the sandbox received, by account.
    static func qualifiedTokens(_ sandbox: SandboxServer) -> [String: String] {
        var tokens: [String: String] = [:]
        for entry in sandbox.store.log {
            guard let body = try? JSONSerialization.jsonObject(with: Data(entry.body.utf8)) as? [String: Any],
                body["event"] as? String == "qualified", let id = body["server_event_id"] as? String,
                let token = body["token"] as? String
            else { continue }
            tokens[String(id.dropFirst("qual-".count))] = token
        }
        return tokens
    }

    /// How each account's registration was written to the store's topic, in order (progress
    /// records left out).
    static func registrations(_ cluster: MockCluster) async throws -> [String: [RefereeRecord.Registration]] {
        var written: [String: [RefereeRecord.Registration]] = [:]
        for message in try await H.snapshot(cluster, H.topics.referees)
        where !message.headers.contains(where: { $0.key == RefereeProgress.kindHeader }) {
            let record = try JSONDecoder().decode(RefereeRecord.self, from: Data(message.value))
            written[record.accountID, default: []].append(record.registration)
        }
        return written
    }

    @Test func milestonesWithoutATokenTakeTheirAccountsFromTheStore() async throws {
        let cluster = try await H.cluster(partitions: 3)
        let secret = ReferralSecret("referees-\(UUID().uuidString)")
        let referred = (0..<40).map { "ref-\($0)" }
        let early = Array(referred.prefix(10))
        let strangers = (0..<5).map { "stranger-\($0)" }
        // Ten milestones come before their account-created; the others after. Strangers were
        // not referred: their milestones carry no token and the store never hears of them.
        var records = early.map { Self.milestone($0) }
        records +=
            referred.map { Self.created($0, token: "mmref_\($0)") } + strangers.map { Self.created($0, token: nil) }
        records += referred.dropFirst(10).map { Self.milestone($0) } + strangers.map { Self.milestone($0) }
        try await Self.produce(cluster, records)

        try await H.withSandbox(secret: secret) { sandbox, address, _ in
            let configuration = H.configuration(
                cluster: cluster, group: "referees-\(UUID().uuidString)", sandbox: address, secret: secret)
            try await Self.withRelay(configuration) {
                let outcomes = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 80 }
                #expect(outcomes.count == 80)
                let qualified = outcomes.filter { $0.event == .qualified }
                #expect(Set(qualified.map(\.accountID)) == Set(referred))
                #expect(qualified.allSatisfy { $0.status == .advanced && $0.reward }, "\(qualified.map(\.status))")
                // Every qualified went out with the token its account registered with.
                let tokens = Self.qualifiedTokens(sandbox)
                #expect(tokens == Dictionary(uniqueKeysWithValues: referred.map { ($0, "mmref_\($0)") }))
            }
        }
    }

    @Test func noQualifiedIsSentForAnAccountWhoseRegistrationFailed() async throws {
        let cluster = try await H.cluster(partitions: 1)
        let secret = ReferralSecret("referees-\(UUID().uuidString)")
        // Two accounts registered with one token: MMOLove refuses the second registration
        // (422, the token registered another referee). Its qualified must not be sent: MMOLove
        // would advance the first account's referral with it.
        try await Self.produce(
            cluster,
            [
                Self.created("first", token: "mmref_shared"), Self.created("second", token: "mmref_shared"),
                Self.milestone("first", token: "mmref_shared"), Self.milestone("second", token: "mmref_shared"),
            ])
        try await H.withSandbox(secret: secret) { sandbox, address, _ in
            var configuration = H.configuration(
                cluster: cluster, group: "referees-\(UUID().uuidString)", sandbox: address, secret: secret)
            configuration.delivery.qualifiedWait = .seconds(5)
            try await Self.withRelay(configuration) {
                let outcomes = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 4 }
                let byID = Dictionary(outcomes.map { ($0.serverEventID, $0) }) { first, _ in first }
                // Both registrations run side by side: whichever MMOLove took first wins.
                let winner = byID["reg-first"]?.status == .advanced ? "first" : "second"
                let loser = winner == "first" ? "second" : "first"
                #expect(byID["reg-\(winner)"]?.status == .advanced)
                #expect(byID["reg-\(loser)"]?.status == .rejected)
                #expect(byID["qual-\(winner)"]?.status == .advanced)
                let failed = try #require(byID["qual-\(loser)"])
                #expect(failed.status == .registrationFailed)
                #expect(failed.reward == false)
                #expect(failed.error?.contains("rejected") == true, "\(failed.error ?? "")")
                #expect(Self.qualifiedTokens(sandbox).keys.sorted() == [winner], "no qualified for the \(loser)")
            }
        }
    }

    /// A `registered` of an account the store does not know, answered at once, writes one
    /// record: how it ended (a `pending` first would tell no reader more than the absence does;
    /// see `RelayPipeline.recordInStore`). An account the store holds as `failed` (retries used
    /// up, then sent again) gets `pending` first, so that no instance refuses its `qualified`
    /// for the last attempt's ending.
    @Test func aRegistrationWritesPendingOnlyOverAnEndingThatIsNotFinal() async throws {
        let cluster = try await H.cluster(partitions: 1)
        let secret = ReferralSecret("referees-\(UUID().uuidString)")
        let fresh = (0..<6).map { "fresh-\($0)" }
        let retried = RefereeRecord(
            accountID: "retried", mmref: "mmref_retried", serverID: "srv_1", registration: .failed,
            updatedAtMilliseconds: 1)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]), logger: H.logger)
        _ = try await producer.send(
            KafkaProducerRecord(topic: H.topics.referees, key: Array("retried".utf8), value: retried.encoded()))
        await producer.close()
        try await Self.produce(
            cluster, (fresh + ["retried"]).map { Self.created($0, token: "mmref_\($0)") })
        try await H.withSandbox(secret: secret) { _, address, _ in
            let configuration = H.configuration(
                cluster: cluster, group: "referees-\(UUID().uuidString)", sandbox: address, secret: secret)
            try await Self.withRelay(configuration) {
                let outcomes = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 7 }
                #expect(outcomes.allSatisfy { $0.status == .advanced })
            }
        }
        let written = try await Self.registrations(cluster)
        // Each ends advanced; a delivery slower than `pendingAfter` on a loaded machine writes
        // `pending` too, so most, not all, must go without.
        for account in fresh { #expect(written[account]?.last == .advanced, "\(account)") }
        #expect(fresh.filter { written[$0] == [.advanced] }.count >= 4, "\(written)")
        #expect(written["retried"] == [.failed, .pending, .advanced])
    }

    /// A `registered` of an unknown account that MMOLove takes longer than `pendingAfter` to
    /// answer (retries, an outage, a held server) writes `pending` meanwhile: a milestone
    /// released by the store's lateness or by `RELAY_REFEREE_WAIT_SECONDS` then finds the
    /// account and waits for how it ends, instead of being skipped or sent first.
    @Test func aSlowRegistrationOfAnUnknownAccountIsPendingWhileItWaits() async throws {
        let cluster = try await H.cluster(partitions: 1)
        let secret = ReferralSecret("referees-\(UUID().uuidString)")
        let slow = (0..<3).map { "slow-\($0)" }
        try await Self.produce(cluster, slow.map { Self.created($0, token: "mmref_\($0)") })
        try await H.withSandbox(secret: secret, faults: SandboxFaults(latencyMilliseconds: 800)) { _, address, _ in
            let configuration = H.configuration(
                cluster: cluster, group: "referees-\(UUID().uuidString)", sandbox: address, secret: secret)
            try await Self.withRelay(configuration) {
                let outcomes = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 3 }
                #expect(outcomes.allSatisfy { $0.status == .advanced })
            }
        }
        let written = try await Self.registrations(cluster)
        for account in slow { #expect(written[account] == [.pending, .advanced], "\(account)") }
    }

    @Test func aNewInstanceRestoresTheStoreFromItsTopic() async throws {
        let cluster = try await H.cluster(partitions: 3)
        let secret = ReferralSecret("referees-\(UUID().uuidString)")
        let accounts = (0..<30).map { "restore-\($0)" }
        try await Self.produce(cluster, accounts.map { Self.created($0, token: "mmref_\($0)") })
        let group = "referees-\(UUID().uuidString)"
        try await H.withSandbox(secret: secret) { sandbox, address, _ in
            // The first instance registers everyone, then stops.
            let first = H.configuration(cluster: cluster, group: group, sandbox: address, secret: secret)
            try await Self.withRelay(first) {
                _ = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 30 }
            }
            // A new pod: an empty local copy, and the milestones carry no token.
            try await Self.produce(cluster, accounts.map { Self.milestone($0) })
            let second = H.configuration(cluster: cluster, group: group, sandbox: address, secret: secret)
            try await Self.withRelay(second) {
                let outcomes = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 60 }
                let qualified = outcomes.filter { $0.event == .qualified }
                #expect(Set(qualified.map(\.accountID)) == Set(accounts))
                #expect(qualified.allSatisfy { $0.status == .advanced })
            }
            #expect(Self.qualifiedTokens(sandbox).count == 30)
        }
    }

    /// The store's barrier query (the end offsets of its topic) answered with an error: the
    /// progress records wait and the query is asked again a second later; the relay keeps
    /// running. librdkafka 2.0.2 does not retry a ListOffsets answered NOT_LEADER_OR_FOLLOWER,
    /// and such an answer (a leader moving, a broker restarting) used to stop the relay.
    @Test func aBarrierQueryAnsweredWithAnErrorIsAskedAgainAndTheRelayKeepsRunning() async throws {
        let cluster = try await H.cluster(partitions: 1)
        let secret = ReferralSecret("referees-\(UUID().uuidString)")
        let group = "referees-\(UUID().uuidString)"
        try await Self.produce(cluster, [Self.created("first", token: "mmref_first")])
        try await H.withSandbox(secret: secret) { _, address, _ in
            let configuration = H.configuration(cluster: cluster, group: group, sandbox: address, secret: secret)
            let capture = ConfigurationLogCapture()
            var logger = capture.logger("barrier")
            logger.logLevel = .info
            try await Self.withRelay(configuration, logger: logger) {
                _ = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 1 }
                // The relay runs and its store is restored: nothing else of the relay asks for
                // end offsets now, but this test's own readers do (each resolves the beginning
                // of a topic): enough errors that some reach the barrier, which the log shows.
                try await cluster.pushRequestErrors(
                    apiKey: 2, errors: Array(repeating: KafkaError.Code(rawValue: 6), count: 6))
                // A stranger's milestone (no token, never referred) settles only behind a
                // barrier: the store must be through its time to say it is not referred.
                try await Self.produce(
                    cluster,
                    [
                        Self.created("stranger", token: nil), Self.milestone("stranger"),
                        Self.created("second", token: "mmref_second"), Self.milestone("second"),
                    ])
                let outcomes = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 3 }
                #expect(Set(outcomes.map(\.serverEventID)) == ["reg-first", "reg-second", "qual-second"])
                // The stranger's milestone settles once a barrier is set (after the failed
                // queries, each asked again a second later).
                let deadline = ContinuousClock.now + .seconds(30)
                var settled = false
                while !settled, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(500))
                    // The end offsets of the check itself may meet an error left over.
                    guard let positions = try? await H.commitPositions(cluster, group: group, partitions: 1)
                    else { continue }
                    settled = positions.values.allSatisfy { $0.committed == $0.high }
                }
                #expect(settled, "the stranger's milestone settled behind a barrier")
                #expect(
                    capture.messages.contains { $0.contains("end offsets not answered; progress waits") },
                    "a barrier query met an error (else this test proves nothing)")
            }
        }
    }
}
