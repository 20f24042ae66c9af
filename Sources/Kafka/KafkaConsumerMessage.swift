/// A record read by a ``KafkaConsumer``.
public struct KafkaConsumerMessage: Sendable, Hashable {
    /// The topic the record was read from.
    public var topic: String
    /// The partition the record was read from.
    public var partition: Int32
    /// The record's offset in its partition.
    public var offset: Int64
    /// The record key; `nil` when the record has none.
    public var key: [UInt8]?
    /// The record value (empty for a null value).
    public var value: [UInt8]
    /// The record headers, in order.
    public var headers: [KafkaHeader]
    /// The record timestamp, when the record carries one.
    public var timestamp: KafkaTimestamp?

    /// The topic-partition the record belongs to.
    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }

    /// Creates a message (for tests and tools).
    public init(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = [],
        timestamp: KafkaTimestamp? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}
