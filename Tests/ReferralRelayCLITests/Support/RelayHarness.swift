import AsyncHTTPClient
import Foundation
import Kafka
import NIOCore
import ReferralKit
import ReferralSandbox
import Testing

/// Everything an end-to-end test of `referral-relay run` needs, in the test process: a fresh
/// embedded Kafka cluster with the product's four topics, an in-process sandbox on port 0 that
/// knows `srv_e2e` and its secret, a producer for input records, and relays started as real
/// child processes against both.
///
/// Used from one test task only (not `Sendable`).
final class RelayHarness {
    /// The sandbox's server id, also the relay's default `MMOLOVE_SERVER_ID`.
    static let serverID = "srv_e2e"
    /// Partitions of each input topic (and of the outcome topic).
    static let inputPartitions = 3
    /// The product's default topic names: the relay runs with its defaults.
    static let accountCreated = "account-created"
    static let milestoneReached = "milestone-reached"
    static let outcomes = "referral-outcomes"
    static let dlq = "referral-dlq"
    /// Milestones that qualify (`RELAY_QUALIFYING_MILESTONES`).
    static let qualifyingMilestones = ["level_10", "first_purchase"]

    let cluster: MockCluster
    let producer: KafkaProducer
    let sandbox: SandboxAddress
    let store: SandboxStore
    /// The referral secret, random per test so a leak is unambiguous.
    let secret: String
    /// The file the relay reads the secret from.
    let secretPath: String
    /// The relay's consumer group, unique per test.
    let groupID: String
    /// A directory for this test's files (secret, relay logs).
    let directory: String
    /// Every relay started, in order (their logs are checked for the secret).
    private(set) var relays: [RunningRelay] = []

    private init(
        cluster: MockCluster, producer: KafkaProducer, sandbox: SandboxAddress, store: SandboxStore, secret: String,
        directory: String
    ) throws {
        self.cluster = cluster
        self.producer = producer
        self.sandbox = sandbox
        self.store = store
        self.secret = secret
        self.directory = directory
        self.secretPath = directory + "/referral-secret"
        self.groupID = "relay-e2e-\(UUID().uuidString.prefix(8))"
        try Data(secret.utf8).write(to: URL(fileURLWithPath: self.secretPath))
    }

    /// Runs `body` against a fresh cluster and sandbox; stops the relays and the sandbox
    /// afterwards, also on failure (printing the last relay's log tail when `body` throws).
    ///
    /// - Parameters:
    ///   - faults: The sandbox's faults from the start.
    ///   - unknownTokens: Tokens the sandbox answers 404 `unknown token`.
    ///   - body: The test.
    static func run<Result: Sendable>(
        faults: SandboxFaults = .none,
        unknownTokens: Set<String> = [],
        _ body: (RelayHarness) async throws -> Result
    ) async throws -> Result {
        let secret = "whsec_e2e_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("referral-relay-e2e-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let cluster = try MockCluster(brokers: 1, logger: KafkaFixtures.logger)
        for topic in [accountCreated, milestoneReached, outcomes] {
            try await cluster.createTopic(topic, partitions: inputPartitions)
        }
        try await cluster.createTopic(dlq, partitions: 1)
        try await cluster.createTopic("referral-referees", partitions: inputPartitions)
        let producer = try KafkaFixtures.producer(cluster)
        let configuration = SandboxConfiguration(
            port: 0,
            servers: [.init(id: serverID, secrets: [ReferralSecret(secret)])],
            unknownTokens: unknownTokens,
            faults: faults,
            seed: 7
        )
        // Stopped gracefully after the body: cancelling a server that still has clients traps in NIO.
        return try await SandboxServer.withRunning(configuration: configuration) { server, address in
            let harness = try RelayHarness(
                cluster: cluster,
                producer: producer,
                sandbox: address,
                store: server.store,
                secret: secret,
                directory: directory
            )
            do {
                let result = try await body(harness)
                await harness.stopRelays()
                // The directory (relay logs) is kept: an `#expect` failure does not throw, so
                // whether the test failed is unknown here, and failure messages name the logs.
                return result
            } catch {
                if let last = harness.relays.last {
                    print("relay log (\(last.logPath)), last lines:\n\(last.logTail())")
                }
                await harness.stopRelays()
                throw error
            }
        }
    }

    // MARK: Relays

    /// The relay's environment: only the variables the test sets (plus PATH/HOME), so nothing of
    /// the developer's shell leaks in.
    ///
    /// - Parameter extra: Variables added or overriding the defaults; an empty value removes one.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment: [String: String] = [
            "KAFKA_BROKERS": self.cluster.bootstrapServers,
            "KAFKA_GROUP_ID": self.groupID,
            "MMOLOVE_ENDPOINT": self.sandbox.eventsURL,
            "MMOLOVE_SERVER_ID": Self.serverID,
            "MMOLOVE_REFERRAL_SECRET_FILE": self.secretPath,
            "RELAY_QUALIFYING_MILESTONES": Self.qualifyingMilestones.joined(separator: ","),
            "RELAY_OPS_HOST": "127.0.0.1",
            "RELAY_OPS_PORT": "0",
            "RELAY_COMMIT_INTERVAL_MS": "200",
            "RELAY_RETRY_INITIAL_BACKOFF_MS": "20",
            "RELAY_RETRY_MAX_BACKOFF_SECONDS": "1",
            "RELAY_DRAIN_TIMEOUT_SECONDS": "10",
            "RELAY_LOG_LEVEL": "debug",
            "RELAY_LOG_FORMAT": "json",
            // The embedded broker joins a group only after session.timeout - 1 s and keeps a
            // dead member (kill -9) for a whole session: keep it short, as KafkaTests do.
            "RDKAFKA_SESSION_TIMEOUT_MS": "4000",
            "RDKAFKA_HEARTBEAT_INTERVAL_MS": "500",
            "RDKAFKA_FETCH_WAIT_MAX_MS": "50",
            "RDKAFKA_TOPIC_METADATA_REFRESH_INTERVAL_MS": "1000",
        ]
        let inherited = ProcessInfo.processInfo.environment
        for key in ["PATH", "HOME", "TMPDIR", "LANG"] { environment[key] = inherited[key] }
        for (key, value) in extra {
            environment[key] = value.isEmpty ? nil : value
        }
        return environment
    }

    /// Starts `referral-relay run` and waits for its ops announcement.
    ///
    /// - Parameter extra: Environment additions (see ``environment(_:)``).
    func startRelay(_ extra: [String: String] = [:]) async throws -> RunningRelay {
        let logPath = "\(self.directory)/relay-\(self.relays.count + 1).log"
        // Each relay its own local copy of the referee store, as each pod has (an explicit
        // RELAY_REFEREE_STORE_DIR in `extra` wins: a restart of the same pod keeps its copy).
        let store = ["RELAY_REFEREE_STORE_DIR": "\(self.directory)/referees-\(self.relays.count + 1)"]
        let relay = try await RunningRelay(
            environment: self.environment(store.merging(extra) { $1 }), logPath: logPath)
        self.relays.append(relay)
        return relay
    }

    /// Starts `referral-relay <arguments>` (a backfill, a tool) with the relay's environment,
    /// without waiting for an announcement.
    func startCommand(_ arguments: [String], _ extra: [String: String] = [:]) async throws -> RunningRelay {
        let logPath = "\(self.directory)/\(arguments.first ?? "command")-\(self.relays.count + 1).log"
        let relay = try await RunningRelay(
            environment: self.environment(extra), logPath: logPath, arguments: arguments, announced: false)
        self.relays.append(relay)
        return relay
    }

    /// Starts a relay and waits until `/readyz` answers 200 (its partitions are assigned).
    func startReadyRelay(_ extra: [String: String] = [:], timeout: Duration = .seconds(20)) async throws
        -> RunningRelay
    {
        let relay = try await self.startRelay(extra)
        let ready = try await eventually(timeout: timeout) {
            (try? await Self.get(relay.opsURL + "/readyz"))?.status == 200
        }
        try #require(ready, "the relay never became ready; log tail:\n\(relay.logTail())")
        return relay
    }

    /// Kills the relays that still run and closes the producer.
    private func stopRelays() async {
        for relay in self.relays where relay.isRunning {
            relay.kill()
            await relay.waitUntilGone()
        }
        await self.producer.close(timeout: .seconds(2))
    }

    /// Expects that no relay of this test ever wrote the secret to stdout or stderr.
    func expectSecretNeverPrinted(sourceLocation: SourceLocation = #_sourceLocation) {
        for relay in self.relays {
            let output = relay.log + relay.standardOutput.joined(separator: "\n")
            #expect(
                !output.contains(self.secret), "the secret appears in \(relay.logPath)", sourceLocation: sourceLocation)
            #expect(!output.isEmpty, "the relay logged nothing to \(relay.logPath)", sourceLocation: sourceLocation)
        }
    }

    /// `GET url`.
    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes.
///
/// - Returns: Whether it held.
func eventually(
    timeout: Duration,
    interval: Duration = .milliseconds(100),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}
