import Logging

/// The embedded broker: librdkafka's mock cluster, listening on loopback ports.
///
/// It speaks the Kafka protocol well enough for producers, consumer groups and external tools
/// such as `kcat`, and offers fault injection (brokers down/up, latency, request errors).
/// Real deployments point at a real cluster instead.
public final class MockCluster: Sendable {
    /// The bootstrap address, e.g. `127.0.0.1:39451,127.0.0.1:41235`.
    public let bootstrapServers: String
    /// The number of brokers; their ids are 1...brokerCount.
    public let brokerCount: Int

    private let cluster: RDKafkaMockCluster
    private let worker: KafkaThread

    /// Starts a mock cluster of `brokers` brokers on loopback.
    ///
    /// - Throws: ``KafkaError`` when librdkafka cannot create it.
    public init(brokers: Int = 1, logger: Logger = Logger(label: "kafka.mock-cluster")) throws(KafkaError) {
        self.cluster = try RDKafkaMockCluster(brokers: brokers, logger: logger)
        self.bootstrapServers = self.cluster.bootstrapServers
        self.brokerCount = brokers
        self.worker = KafkaThread(name: "kafka-mock-cluster")
    }

    deinit {
        worker.stop()
        let cluster = self.cluster
        // Destroying joins librdkafka threads: do it off the cooperative pool.
        KafkaThread.detach(name: "kafka-mock-cluster-destroy") { cluster.destroy() }
    }

    /// Creates a topic.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) async throws(KafkaError) {
        try await onCluster { cluster throws(KafkaError) in
            try cluster.createTopic(name, partitions: partitions, replicationFactor: replicationFactor)
        }
    }

    /// Takes a broker down: its connections are closed and it refuses new ones.
    public func setBrokerDown(_ broker: Int32) async throws(KafkaError) {
        try await onCluster { cluster throws(KafkaError) in try cluster.setBroker(broker, up: false) }
    }

    /// Brings a broker back up.
    public func setBrokerUp(_ broker: Int32) async throws(KafkaError) {
        try await onCluster { cluster throws(KafkaError) in try cluster.setBroker(broker, up: true) }
    }

    /// Adds `milliseconds` of round-trip latency to a broker's responses.
    public func setRTT(broker: Int32, milliseconds: Int) async throws(KafkaError) {
        try await onCluster { cluster throws(KafkaError) in
            try cluster.setRTT(broker: broker, milliseconds: milliseconds)
        }
    }

    /// Makes the next requests with Kafka API key `apiKey` (e.g. 0 Produce, 8 OffsetCommit)
    /// fail with `errors`, in order.
    public func pushRequestErrors(apiKey: Int16, errors: [KafkaError.Code]) async throws(KafkaError) {
        try await onCluster { cluster throws(KafkaError) in
            try cluster.pushRequestErrors(apiKey: apiKey, errors: errors)
        }
    }

    private func onCluster<T: Sendable>(
        _ body: @escaping @Sendable (RDKafkaMockCluster) throws(KafkaError) -> T
    ) async throws(KafkaError) -> T {
        try await worker.run { [cluster] () throws(KafkaError) -> T in try body(cluster) }
    }
}
