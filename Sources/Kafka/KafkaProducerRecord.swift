/// A record to publish with ``KafkaProducer/send(_:)``.
public struct KafkaProducerRecord: Sendable, Hashable {
    /// The destination topic.
    public var topic: String
    /// The partition; `nil` lets the partitioner choose (by key hash when there is a key).
    public var partition: Int32?
    /// The record key.
    public var key: [UInt8]?
    /// The record value.
    public var value: [UInt8]
    /// Headers, in order.
    public var headers: [KafkaHeader]
    /// The `CreateTime` timestamp in milliseconds since the epoch; `nil` means now.
    public var timestamp: Int64?

    /// Creates a record.
    public init(
        topic: String,
        partition: Int32? = nil,
        key: [UInt8]? = nil,
        value: [UInt8],
        headers: [KafkaHeader] = [],
        timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}

/// Where a record was durably written (acknowledged per ``KafkaProducerConfiguration/acks``).
public struct KafkaDeliveryReport: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The record's offset; -1 when the broker did not report it (an idempotent retry of a
    /// record that was written but not acknowledged).
    public var offset: Int64

    /// Creates a report.
    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}
