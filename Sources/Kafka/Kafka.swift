/// Namespace for facts about the librdkafka binding.
public enum Kafka {
    /// The librdkafka version string this binary is linked against.
    public static var librdkafkaVersion: String { RDKafkaClient.version }

    /// Whether the calling thread is one the Kafka module owns (a poll or worker thread).
    ///
    /// Blocking librdkafka calls only ever run where this is `true`; it is `false` on the
    /// Swift concurrency cooperative pool.
    public static var isOnModuleThread: Bool { KafkaThread.isCurrentModuleThread }
}
