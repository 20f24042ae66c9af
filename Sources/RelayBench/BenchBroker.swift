import Kafka
import Logging

/// One embedded broker (librdkafka's mock cluster over loopback TCP) per row, with its topics,
/// so rows never see each other's records or consumer groups.
struct BenchBroker: Sendable {
    /// The relay's topic names, as on the embedded broker.
    enum Topic {
        static let accountCreated = "account-created"
        static let milestoneReached = "milestone-reached"
        static let outcomes = "referral-outcomes"
        static let dlq = "referral-dlq"
        static let referees = "referral-referees"
    }

    /// The mock cluster; it lives as long as this value is referenced.
    let cluster: MockCluster
    /// Partition counts by topic.
    let partitions: [String: Int]
    /// The logger for clients created here.
    let logger: Logger

    /// The bootstrap servers, one entry per broker address.
    var brokers: [String] { self.cluster.bootstrapServers.split(separator: ",").map(String.init) }

    /// Starts a cluster of `brokers` brokers and creates `topics` (name → partitions, replicated
    /// on up to three brokers).
    ///
    /// - Throws: ``KafkaError`` when the mock cluster or a topic cannot be created.
    init(topics: [String: Int], brokers: Int = 1, logger: Logger) async throws {
        self.cluster = try MockCluster(brokers: brokers, logger: logger)
        for (name, count) in topics.sorted(by: { $0.key < $1.key }) {
            try await self.cluster.createTopic(name, partitions: count, replicationFactor: min(brokers, 3))
        }
        self.partitions = topics
        self.logger = logger
    }

    /// Starts a broker with the relay's five topics: inputs with `inputPartitions`, outcomes
    /// with `outcomePartitions`.
    static func relayTopics(inputPartitions: Int, outcomePartitions: Int = 12, logger: Logger) async throws
        -> BenchBroker
    {
        try await BenchBroker(
            topics: [
                Topic.accountCreated: inputPartitions,
                Topic.milestoneReached: inputPartitions,
                Topic.outcomes: outcomePartitions,
                Topic.dlq: 3,
                Topic.referees: 6,
            ],
            logger: logger
        )
    }

    /// Every partition of `topics`.
    func topicPartitions(_ topics: [String]) -> [KafkaTopicPartition] {
        topics.flatMap { topic in
            (0..<(self.partitions[topic] ?? 0)).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }
        }
    }

    /// A fast loader: not idempotent, leader acks, a big local queue.
    ///
    /// - Parameters:
    ///   - linger: `linger.ms`.
    ///   - compression: `compression.type` (`nil`: none). The embedded broker keeps about 5 MiB
    ///     of batches per partition, so a backlog that must survive whole may need it.
    func makeLoader(linger: Duration = .milliseconds(10), compression: String? = nil) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: self.brokers)
        configuration.clientID = "bench-loader"
        configuration.enableIdempotence = false
        configuration.acks = .leader
        configuration.linger = linger
        configuration.properties = ["queue.buffering.max.messages": "1000000", "batch.num.messages": "10000"]
        if let compression { configuration.properties["compression.type"] = compression }
        return try KafkaProducer(configuration: configuration, logger: self.logger)
    }

    /// Produces `count` records made by `record(index)` in order of index, in batches of 10,000
    /// sends in flight, and returns once every one was acknowledged.
    ///
    /// - Throws: ``KafkaError`` for a record that could not be delivered.
    func load(_ count: Int, with producer: KafkaProducer, _ record: @escaping @Sendable (Int) -> KafkaProducerRecord)
        async throws
    {
        var start = 0
        while start < count {
            let end = min(count, start + 10_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in start..<end {
                    group.addTask { _ = try await producer.send(record(index)) }
                }
                try await group.waitForAll()
            }
            start = end
        }
    }

    /// Produces with a fresh loader, then closes it.
    func load(_ count: Int, _ record: @escaping @Sendable (Int) -> KafkaProducerRecord) async throws {
        try await self.withLoader { producer in try await self.load(count, with: producer, record) }
    }

    /// Runs `body` with a fresh loader (``makeLoader(linger:compression:)``), closed after it
    /// whatever `body` does.
    ///
    /// - Throws: What making the loader or `body` throws.
    func withLoader(
        linger: Duration = .milliseconds(10), compression: String? = nil,
        _ body: (KafkaProducer) async throws -> Void
    ) async throws {
        let producer = try self.makeLoader(linger: linger, compression: compression)
        do {
            try await body(producer)
        } catch {
            await producer.close()
            throw error
        }
        await producer.close()
    }
}
