import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle

/// In-process fixtures for whole-relay tests: an embedded broker with the four topics, relays
/// built from ``RelayConfiguration`` in code, and readers for what a user checks (outcomes,
/// committed offsets).
enum RelayGroupHarness {
    /// Silent, unless `RELAY_TEST_LOG` is set: then info logs (revocations, commits) go to
    /// standard error, to see why a rebalance test failed.
    static let logger: Logger = {
        guard ProcessInfo.processInfo.environment["RELAY_TEST_LOG"] != nil else {
            return Logger(label: "relay-group-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        }
        var logger = Logger(label: "relay-group-tests", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .info
        return logger
    }()
    static let topics = RelayConfiguration.Topics()

    /// A cluster with both input topics (`partitions` each), outcomes and dead letters.
    static func cluster(partitions: Int) async throws -> MockCluster {
        let cluster = try MockCluster(brokers: 1, logger: logger)
        try await cluster.createTopic(topics.accountCreated, partitions: partitions)
        try await cluster.createTopic(topics.milestoneReached, partitions: partitions)
        try await cluster.createTopic(topics.outcomes, partitions: 2)
        try await cluster.createTopic(topics.dlq, partitions: 1)
        try await cluster.createTopic(topics.referees, partitions: 3)
        return cluster
    }

    /// Runs `body` with an in-process sandbox serving `srv_group` (with `secret`) on loopback
    /// port 0, inside a task group the body may add relays to; everything is cancelled after it.
    static func withSandbox<Result: Sendable>(
        secret: ReferralSecret,
        faults: SandboxFaults = .none,
        _ body: (SandboxServer, SandboxAddress, inout ThrowingTaskGroup<Void, any Error>) async throws -> Result
    ) async throws -> Result {
        let configuration = SandboxConfiguration(
            port: 0, servers: [.init(id: "srv_group", secrets: [secret])], faults: faults)
        // Stopped gracefully after the body: cancelling a server that still has clients traps in NIO.
        return try await SandboxServer.withRunning(configuration: configuration) { sandbox, address in
            try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { tasks in
                defer { tasks.cancelAll() }
                return try await body(sandbox, address, &tasks)
            }
        }
    }

    /// A relay configuration for the embedded broker and a sandbox; fast commits, short
    /// backoffs, and a session timeout the mock can rebalance within a test's time.
    static func configuration(
        cluster: MockCluster,
        group: String,
        sandbox: SandboxAddress,
        secret: ReferralSecret,
        maxInFlight: Int = 32
    ) -> RelayConfiguration {
        var configuration = RelayConfiguration(
            kafka: .init(
                brokers: [cluster.bootstrapServers],
                groupID: group,
                properties: [
                    "session.timeout.ms": "6000", "heartbeat.interval.ms": "500", "fetch.wait.max.ms": "50",
                ]
            ),
            mmolove: .init(
                endpoint: sandbox.baseURL + "/api/referral/events",
                credentials: ReferralCredentials(serverID: "srv_group", secret: secret)
            ),
            delivery: .init(
                maxInFlight: maxInFlight,
                initialBackoff: .milliseconds(20),
                maxBackoff: .milliseconds(200),
                qualifiedWait: .seconds(30)
            ),
            opsPort: 0,
            opsHost: "127.0.0.1",
            commitInterval: .milliseconds(200)
        )
        // Each relay its own local copy of the referee store, as each pod has.
        configuration.referees.directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("relay-referees-\(UUID().uuidString)").path
        return configuration
    }

    /// Produces one account-created and one qualifying milestone per account.
    static func seed(_ producer: KafkaProducer, accounts: [String]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for account in accounts {
                group.addTask {
                    let created = #"{"account_id":"\#(account)","mmref":"mmref_\#(account)"}"#
                    let milestone = #"{"account_id":"\#(account)","milestone":"level_10","mmref":"mmref_\#(account)"}"#
                    _ = try await producer.send(
                        KafkaProducerRecord(
                            topic: topics.accountCreated, key: Array(account.utf8), value: Array(created.utf8)))
                    _ = try await producer.send(
                        KafkaProducerRecord(
                            topic: topics.milestoneReached, key: Array(account.utf8), value: Array(milestone.utf8)))
                }
            }
            try await group.waitForAll()
        }
    }

    /// Reads the outcome topic from the beginning until `until` holds or `timeout` passes.
    static func outcomes(
        _ cluster: MockCluster,
        timeout: Duration,
        until done: @escaping @Sendable ([OutcomeRecord]) -> Bool
    ) async throws -> [OutcomeRecord] {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: [cluster.bootstrapServers], groupID: "reader-\(UUID().uuidString)")
        configuration.properties["fetch.wait.max.ms"] = "50"
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try await consumer.assign([
            KafkaTopicPartition(topic: topics.outcomes, partition: 0): KafkaOffset.beginning,
            KafkaTopicPartition(topic: topics.outcomes, partition: 1): KafkaOffset.beginning,
        ])
        var records: [OutcomeRecord] = []
        let deadline = ContinuousClock.now + timeout
        let reader = Task {
            var collected: [OutcomeRecord] = []
            for try await event in consumer.events {
                if case .message(let message) = event {
                    collected.append(try JSONDecoder().decode(OutcomeRecord.self, from: Data(message.value)))
                    if done(collected) { break }
                }
            }
            return collected
        }
        let timer = Task {
            try await Task.sleep(until: deadline)
            reader.cancel()
        }
        records = (try? await reader.value) ?? records
        timer.cancel()
        await consumer.close()
        return records
    }

    /// Every record of `topic` now (each partition to its high watermark of now), read by a
    /// manually assigned consumer (the `dlq` tools' reader).
    ///
    /// - Throws: When a partition could not be read to its end.
    static func snapshot(_ cluster: MockCluster, _ topic: String) async throws -> [KafkaConsumerMessage] {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: [cluster.bootstrapServers], groupID: "snapshot-\(UUID().uuidString)")
        configuration.properties["fetch.wait.max.ms"] = "50"
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        let reader = DeadLetterReader(consumer: consumer, topic: topic, idleTimeout: .seconds(10))
        var messages: [KafkaConsumerMessage] = []
        let unfinished: [KafkaTopicPartition: Int64]
        do {
            unfinished = try await reader.read(try await reader.plan(from: nil, resume: false)) {
                messages.append($0)
                return true
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        guard unfinished.isEmpty else { throw DeadLetterToolError(code: .incomplete, reason: "\(unfinished)") }
        return messages
    }

    /// The group's committed offset and the high watermark of every input partition.
    static func commitPositions(
        _ cluster: MockCluster,
        group: String,
        partitions: Int
    ) async throws -> [KafkaTopicPartition: (committed: Int64, high: Int64)] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: [cluster.bootstrapServers], groupID: group),
            logger: logger
        )
        let all = [topics.accountCreated, topics.milestoneReached].flatMap { topic in
            (0..<Int32(partitions)).map { KafkaTopicPartition(topic: topic, partition: $0) }
        }
        let committed = try await consumer.committed(all)
        var positions: [KafkaTopicPartition: (Int64, Int64)] = [:]
        for partition in all {
            let marks = try await consumer.watermarks(topic: partition.topic, partition: partition.partition)
            positions[partition] = (committed[partition] ?? -1, marks.high)
        }
        await consumer.close()
        return positions
    }
}
