import Foundation
import Kafka
import Logging
import TestSupport

/// Kafka clients for the test process (copied in spirit from `KafkaTests/Support`, with the
/// relay's settings): a quiet logger, a fast producer and manual-assign readers. The bounded wait
/// for the next consumer event is shared, in `TestSupport`.
enum KafkaFixtures {
    static let logger: Logger = {
        var logger = Logger(label: "relay-e2e", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }()

    /// A producer that sends at once (1 ms linger).
    static func producer(_ cluster: MockCluster) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.linger = .milliseconds(1)
        return try KafkaProducer(configuration: configuration, logger: logger)
    }

    /// A consumer that never joins `group` (it only assigns or queries), with fast fetches.
    static func consumer(_ cluster: MockCluster, group: String) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: [cluster.bootstrapServers], groupID: group)
        configuration.sessionTimeout = .seconds(4)
        configuration.heartbeatInterval = .milliseconds(500)
        configuration.properties["fetch.wait.max.ms"] = "50"
        configuration.properties["topic.metadata.refresh.interval.ms"] = "1000"
        return try KafkaConsumer(configuration: configuration, logger: logger)
    }

}

/// Reads whole topics from the beginning with a manually assigned consumer (no group), keeping
/// what it read so a test can wait for more while the relay runs.
///
/// One reader per task: it is not `Sendable`.
final class TopicReader {
    private let consumer: KafkaConsumer
    /// Every record read so far, in arrival order.
    private(set) var messages: [KafkaConsumerMessage] = []

    /// Assigns every partition of `topics` from the beginning.
    ///
    /// - Parameters:
    ///   - cluster: The mock cluster.
    ///   - topics: Topic names with their partition counts.
    init(_ cluster: MockCluster, topics: [String: Int]) async throws {
        self.consumer = try KafkaFixtures.consumer(cluster, group: "e2e-reader-\(UUID().uuidString.prefix(8))")
        var assignment: [KafkaTopicPartition: Int64] = [:]
        for (topic, partitions) in topics {
            for partition in 0..<partitions {
                assignment[KafkaTopicPartition(topic: topic, partition: Int32(partition))] = KafkaOffset.beginning
            }
        }
        try await self.consumer.assign(assignment)
    }

    /// Reads until `done(messages)` holds or `timeout` passes.
    ///
    /// - Returns: Whether `done` held.
    @discardableResult
    func read(timeout: Duration, until done: ([KafkaConsumerMessage]) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !done(self.messages) {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            guard let event = try await self.consumer.events.next(within: remaining) else {
                return done(self.messages)
            }
            if case .message(let message) = event { self.messages.append(message) }
        }
        return true
    }

    /// Reads until `count` records arrived (or `timeout`), then keeps reading for `quiet` so that
    /// records beyond the expected count are seen too.
    ///
    /// - Returns: Every record read so far.
    func readAll(expecting count: Int, timeout: Duration, quiet: Duration = .milliseconds(1500)) async throws
        -> [KafkaConsumerMessage]
    {
        try await self.read(timeout: timeout) { $0.count >= count }
        try await self.read(timeout: quiet) { _ in false }
        return self.messages
    }

    /// Leaves nothing behind.
    func close() async {
        await self.consumer.close()
    }
}

extension KafkaConsumerMessage {
    /// The value as UTF-8 text.
    var valueString: String { String(decoding: value, as: UTF8.self) }
    /// The key as UTF-8 text.
    var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
    /// The first header named `name`, as text.
    func header(_ name: String) -> String? {
        self.headers.first { $0.key == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }
}
