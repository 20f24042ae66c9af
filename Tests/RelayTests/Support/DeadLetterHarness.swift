import Foundation
import Kafka
import Logging
import Relay

/// Fixtures for the `dlq` tools over the embedded broker: the four topics, dead letters built
/// with ``DeadLetter/record(for:topic:stage:reason:httpStatus:)`` and written to the
/// dead-letter topic, and whole-topic snapshots.
struct DeadLetterHarness {
    static let logger = Logger(label: "dlq-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    let cluster: MockCluster
    let kafka: RelayConfiguration.Kafka
    let producer: KafkaProducer

    /// A cluster with account-created and milestone-reached (3 partitions each), outcomes and a
    /// dead-letter topic of `dlqPartitions`, and Kafka settings with a fresh group id.
    init(dlqPartitions: Int = 2) async throws {
        let cluster = try MockCluster(brokers: 1, logger: Self.logger)
        let topics = RelayConfiguration.Topics()
        try await cluster.createTopic(topics.accountCreated, partitions: 3)
        try await cluster.createTopic(topics.milestoneReached, partitions: 3)
        try await cluster.createTopic(topics.outcomes, partitions: 1)
        try await cluster.createTopic(topics.dlq, partitions: dlqPartitions)
        self.cluster = cluster
        self.kafka = RelayConfiguration.Kafka(
            brokers: [cluster.bootstrapServers],
            groupID: "dlq-test-\(UUID().uuidString.prefix(8))",
            properties: ["fetch.wait.max.ms": "50"]
        )
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.linger = .milliseconds(1)
        self.producer = try KafkaProducer(configuration: configuration, logger: Self.logger)
    }

    /// An original input record as the relay would have read it.
    static func original(
        _ topic: String,
        partition: Int32,
        offset: Int64,
        account: String,
        headers: [KafkaHeader] = [KafkaHeader(key: "traceparent", value: Array("00-\(UUID()).-01".utf8))]
    ) -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: topic, partition: partition, offset: offset, key: Array(account.utf8),
            value: Array(#"{"account_id":"\#(account)","mmref":"mmr_1"}"#.utf8), headers: headers,
            timestamp: KafkaTimestamp(milliseconds: 1_795_572_555_000, kind: .createTime))
    }

    /// Writes the dead letter of `original` to the dead-letter topic, partition `dlqPartition`.
    func deadLetter(
        _ original: KafkaConsumerMessage,
        stage: DeadLetterStage,
        reason: String = "unknown token",
        dlqPartition: Int32 = 0,
        dropping header: String? = nil
    ) async throws {
        var record = DeadLetter.record(for: original, topic: kafka.topics.dlq, stage: stage, reason: reason)
        record.partition = dlqPartition
        if let header { record.headers.removeAll { $0.key == header } }
        _ = try await producer.send(record)
    }

    /// Every record of `topic` now, read through a manually assigned consumer to the end
    /// offsets of now, in offset order per partition.
    func snapshot(_ topic: String) async throws -> [KafkaConsumerMessage] {
        let consumer = try KafkaConsumer(
            configuration: kafka.toolConsumerConfiguration(clientID: "snapshot", groupID: "snapshot"),
            logger: Self.logger)
        let reader = DeadLetterReader(consumer: consumer, topic: topic, idleTimeout: .seconds(10))
        var messages: [KafkaConsumerMessage] = []
        let unfinished = try await reader.read(try await reader.plan(from: nil, resume: false)) {
            messages.append($0)
            return true
        }
        await consumer.close()
        guard unfinished.isEmpty else { throw DeadLetterToolError(code: .incomplete, reason: "\(unfinished)") }
        return messages
    }

    /// The committed offsets of a redrive run's group on the dead-letter topic.
    func committed(run: String) async throws -> [KafkaTopicPartition: Int64] {
        let consumer = try KafkaConsumer(
            configuration: kafka.toolConsumerConfiguration(
                clientID: "check", groupID: RedriveRunName.groupID(relayGroup: kafka.groupID, run: run)),
            logger: Self.logger)
        let partitions = try await consumer.partitions(of: kafka.topics.dlq)
        let committed = try await consumer.committed(partitions)
        await consumer.close()
        return committed
    }

    /// Runs a redrive in process.
    func redrive(
        run: String,
        filter: DeadLetterFilter,
        dryRun: Bool = false,
        stopAfter: Int? = nil
    ) async throws -> RedriveSummary {
        var options = DeadLetterRedrive.Options(run: run, filter: filter)
        options.dryRun = dryRun
        options.stopAfter = stopAfter
        options.idleTimeout = .seconds(10)
        return try await DeadLetterRedrive.run(kafka: kafka, options: options, logger: Self.logger) { _ in }
    }

    /// Closes the producer.
    func close() async {
        await producer.close()
    }
}

extension KafkaConsumerMessage {
    /// The first header named `name`, as text.
    func header(_ name: String) -> String? {
        headers.first { $0.key == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }
}
