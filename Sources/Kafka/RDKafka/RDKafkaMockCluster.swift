import CRDKafka
import Logging

/// Owns librdkafka's mock cluster and the producer handle it lives on; every `rd_kafka_mock_*`
/// call of the public ``MockCluster`` goes through here.
///
/// `@unchecked Sendable`: the pointer is immutable; mock cluster calls are thread-safe (they
/// post operations to the mock thread); ``destroy()`` runs once, after the owner's worker.
final class RDKafkaMockCluster: @unchecked Sendable {
    private let client: RDKafkaClient
    private let cluster: OpaquePointer
    /// The bootstrap address of its brokers.
    let bootstrapServers: String

    /// Starts a mock cluster of `brokers` brokers on loopback.
    init(brokers: Int, logger: Logger) throws(KafkaError) {
        let context = RDKafkaClientContext(logger: logger, scrubber: KafkaSecretScrubber(), statistics: nil)
        let client = try RDKafkaClient.make(
            kind: .producer,
            properties: [("client.id", "mock-cluster"), ("log_level", "4")],
            context: context
        )
        self.cluster = try client.withHandle { handle throws(KafkaError) in
            guard let cluster = rd_kafka_mock_cluster_new(handle, Int32(clamping: brokers)) else {
                throw KafkaError(code: .invalidArgument, reason: "rd_kafka_mock_cluster_new failed")
            }
            return cluster
        }
        self.client = client
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(self.cluster))
    }

    /// Creates a topic.
    func createTopic(_ name: String, partitions: Int, replicationFactor: Int) throws(KafkaError) {
        try self.check(
            rd_kafka_mock_topic_create(
                self.cluster, name, Int32(clamping: partitions), Int32(clamping: replicationFactor)),
            "create topic \(name)")
    }

    /// Takes a broker down or brings it back up.
    func setBroker(_ broker: Int32, up: Bool) throws(KafkaError) {
        let err =
            up ? rd_kafka_mock_broker_set_up(self.cluster, broker) : rd_kafka_mock_broker_set_down(self.cluster, broker)
        try self.check(err, "broker \(broker) \(up ? "up" : "down")")
    }

    /// Adds round-trip latency to a broker's responses.
    func setRTT(broker: Int32, milliseconds: Int) throws(KafkaError) {
        try self.check(
            rd_kafka_mock_broker_set_rtt(self.cluster, broker, Int32(clamping: milliseconds)), "broker \(broker) rtt")
    }

    /// Makes the next requests with API key `apiKey` fail with `errors`, in order.
    func pushRequestErrors(apiKey: Int16, errors: [KafkaError.Code]) throws(KafkaError) {
        let raw = errors.map(\.rdValue)
        try self.client.withHandle { _ in
            raw.withUnsafeBufferPointer { buffer in
                rd_kafka_mock_push_request_errors_array(self.cluster, apiKey, buffer.count, buffer.baseAddress)
            }
        }
    }

    /// Destroys the cluster and its handle (blocking: a module thread only).
    func destroy() {
        rd_kafka_mock_cluster_destroy(self.cluster)
        self.client.destroy()
    }

    private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws(KafkaError) {
        try self.client.withHandle { _ throws(KafkaError) in
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, what) }
        }
    }
}
