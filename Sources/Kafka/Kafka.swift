import CRDKafka

/// Namespace for the librdkafka binding (placeholder until the Kafka issue lands).
public enum Kafka {
    /// The librdkafka version string this binary is linked against.
    public static var librdkafkaVersion: String { String(cString: rd_kafka_version_str()) }
}
