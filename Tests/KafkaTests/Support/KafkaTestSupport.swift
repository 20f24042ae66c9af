import Foundation
import Kafka
import Logging
import TestSupport
import Testing

/// Shared fixtures: a cluster per test, fast client settings, bounded waits.
enum KafkaTestSupport {
    static let logger: Logger = {
        var logger = Logger(label: "kafka-tests", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"] == nil ? .error : .debug
        return logger
    }()

    /// A unique name, so tests can share nothing even when run in parallel.
    static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8))"
    }

    /// A fresh mock cluster with one topic.
    static func cluster(topic: String, partitions: Int, brokers: Int = 1) async throws -> MockCluster {
        let cluster = try MockCluster(brokers: brokers, logger: logger)
        try await cluster.createTopic(topic, partitions: partitions, replicationFactor: 1)
        return cluster
    }

    static func producer(_ cluster: MockCluster) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.linger = .milliseconds(1)
        return try KafkaProducer(configuration: configuration, logger: logger)
    }

    static func consumerConfiguration(_ cluster: MockCluster, group: String) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: [cluster.bootstrapServers], groupID: group)
        // The mock re-joins after session.timeout minus 1 s; below ~3 s it never joins.
        configuration.sessionTimeout = .seconds(4)
        configuration.heartbeatInterval = .milliseconds(500)
        configuration.properties["fetch.wait.max.ms"] = "50"
        configuration.properties["topic.metadata.refresh.interval.ms"] = "1000"
        return configuration
    }

    static func consumer(_ cluster: MockCluster, group: String) throws -> KafkaConsumer {
        try KafkaConsumer(configuration: consumerConfiguration(cluster, group: group), logger: logger)
    }

    /// Produces `count` records `key-i`/`value-i` and waits for every confirmation.
    @discardableResult
    static func produce(
        _ producer: KafkaProducer,
        topic: String,
        count: Int,
        partition: Int32? = nil,
        prefix: String = "value"
    ) async throws -> [KafkaDeliveryReport] {
        try await withThrowingTaskGroup(of: KafkaDeliveryReport.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await producer.send(
                        KafkaProducerRecord(
                            topic: topic,
                            partition: partition,
                            key: Array("key-\(index)".utf8),
                            value: Array("\(prefix)-\(index)".utf8)
                        )
                    )
                }
            }
            var reports: [KafkaDeliveryReport] = []
            for try await report in group { reports.append(report) }
            return reports
        }
    }

    /// Produces `count` records to partition 0 one at a time, so offsets follow the order:
    /// record `i` has value `t-i`, header `index: i` and timestamp `base + i * step` ms.
    static func produceTimestamped(
        _ producer: KafkaProducer,
        topic: String,
        count: Int,
        base: Int64,
        step: Int64 = 1000
    ) async throws {
        for index in 0..<count {
            _ = try await producer.send(
                KafkaProducerRecord(
                    topic: topic,
                    partition: 0,
                    key: nil,
                    value: Array("t-\(index)".utf8),
                    headers: [KafkaHeader(key: "index", value: Array("\(index)".utf8))],
                    timestamp: base + Int64(index) * step
                )
            )
        }
    }

    /// Reads messages until `count` arrived (rebalance events are completed and skipped);
    /// fails the test if they do not arrive within `timeout`.
    static func readMessages(
        _ consumer: KafkaConsumer,
        count: Int,
        timeout: Duration = .seconds(20),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [KafkaConsumerMessage] {
        let deadline = ContinuousClock.now + timeout
        var messages: [KafkaConsumerMessage] = []
        while messages.count < count {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, let event = try await consumer.events.next(within: remaining) else {
                Issue.record(
                    "Read \(messages.count) of \(count) messages in \(timeout)", sourceLocation: sourceLocation)
                return messages
            }
            switch event {
            case .message(let message): messages.append(message)
            case .revoked(let revocation): revocation.complete()
            case .assigned: break
            }
        }
        return messages
    }

    /// Expects no message within `window` (rebalance events are completed and skipped).
    static func expectNoMessage(
        _ consumer: KafkaConsumer,
        within window: Duration,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let deadline = ContinuousClock.now + window
        while case let remaining = deadline - ContinuousClock.now, remaining > .zero {
            guard let event = try await consumer.events.next(within: remaining) else { return }
            switch event {
            case .message(let message):
                Issue.record(
                    "Unexpected message \(message.topicPartition)@\(message.offset)", sourceLocation: sourceLocation)
                return
            case .revoked(let revocation): revocation.complete()
            case .assigned: break
            }
        }
    }
}

extension KafkaConsumerMessage {
    var valueString: String { String(decoding: value, as: UTF8.self) }
    var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
}
