import CRDKafka
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

    private let owner: Owner
    private let worker: KafkaThread

    /// Starts a mock cluster of `brokers` brokers on loopback.
    ///
    /// - Throws: ``KafkaError`` when librdkafka cannot create it.
    public init(brokers: Int = 1, logger: Logger = Logger(label: "kafka.mock-cluster")) throws(KafkaError) {
        let context = RDKafkaClientContext(logger: logger, statistics: nil)
        let client = try RDKafkaClient.make(
            kind: .producer,
            properties: [("client.id", "mock-cluster"), ("log_level", "4")],
            context: context
        )
        let cluster = try client.withHandle { handle throws(KafkaError) in
            guard let cluster = rd_kafka_mock_cluster_new(handle, Int32(clamping: brokers)) else {
                throw KafkaError(code: .invalidArgument, reason: "rd_kafka_mock_cluster_new failed")
            }
            return cluster
        }
        self.owner = Owner(client: client, cluster: cluster)
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        self.brokerCount = brokers
        self.worker = KafkaThread(name: "kafka-mock-cluster")
    }

    deinit {
        worker.stop()
        let owner = self.owner
        // Destroying joins librdkafka threads: do it off the cooperative pool.
        KafkaThread.detach(name: "kafka-mock-cluster-destroy") { owner.destroy() }
    }

    /// Creates a topic.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) async throws(KafkaError) {
        try await onCluster { cluster throws(KafkaError) in
            let err = rd_kafka_mock_topic_create(
                cluster,
                name,
                Int32(clamping: partitions),
                Int32(clamping: replicationFactor)
            )
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "create topic \(name)") }
        }
    }

    /// Takes a broker down: its connections are closed and it refuses new ones.
    public func setBrokerDown(_ broker: Int32) async throws(KafkaError) {
        try await onCluster { cluster throws(KafkaError) in
            let err = rd_kafka_mock_broker_set_down(cluster, broker)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "broker \(broker) down") }
        }
    }

    /// Brings a broker back up.
    public func setBrokerUp(_ broker: Int32) async throws(KafkaError) {
        try await onCluster { cluster throws(KafkaError) in
            let err = rd_kafka_mock_broker_set_up(cluster, broker)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "broker \(broker) up") }
        }
    }

    /// Adds `milliseconds` of round-trip latency to a broker's responses.
    public func setRTT(broker: Int32, milliseconds: Int) async throws(KafkaError) {
        try await onCluster { cluster throws(KafkaError) in
            let err = rd_kafka_mock_broker_set_rtt(cluster, broker, Int32(clamping: milliseconds))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "broker \(broker) rtt") }
        }
    }

    /// Makes the next requests with Kafka API key `apiKey` (e.g. 0 Produce, 8 OffsetCommit)
    /// fail with `errors`, in order.
    public func pushRequestErrors(apiKey: Int16, errors: [KafkaError.Code]) async throws(KafkaError) {
        let raw = errors.map(\.rdValue)
        try await onCluster { cluster in
            raw.withUnsafeBufferPointer { buffer in
                rd_kafka_mock_push_request_errors_array(cluster, apiKey, buffer.count, buffer.baseAddress)
            }
        }
    }

    private func onCluster<T: Sendable>(
        _ body: @escaping @Sendable (OpaquePointer) throws(KafkaError) -> T
    ) async throws(KafkaError) -> T {
        try await worker.run { [owner] () throws(KafkaError) -> T in
            try owner.withCluster(body)
        }
    }

    /// Owns the mock cluster pointer and the handle it lives on.
    ///
    /// `@unchecked Sendable`: the pointer is immutable; mock cluster calls are thread-safe
    /// (they post operations to the mock thread); ``destroy()`` runs once, after the worker.
    private final class Owner: @unchecked Sendable {
        let client: RDKafkaClient
        let cluster: OpaquePointer

        init(client: RDKafkaClient, cluster: OpaquePointer) {
            self.client = client
            self.cluster = cluster
        }

        func withCluster<T>(_ body: (OpaquePointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
            try client.withHandle { _ throws(KafkaError) in try body(cluster) }
        }

        func destroy() {
            rd_kafka_mock_cluster_destroy(cluster)
            client.destroy()
        }
    }
}
