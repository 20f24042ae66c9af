/// A topic and partition.
public struct KafkaTopicPartition: Hashable, Sendable, CustomStringConvertible {
    /// The topic name.
    public var topic: String
    /// The partition number.
    public var partition: Int32

    /// Creates a topic-partition.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    /// Hashes the partition number and the topic's length and last byte, not its whole name:
    /// the relay looks partitions up in dictionaries and sets several times per record (window,
    /// ledger, holds, lanes), and SipHash over the name each time showed in its profiles. A
    /// process reads a handful of topics, which these tell apart; equality still compares the
    /// whole name, so a collision costs a comparison, never a wrong answer. (`String` equality
    /// is canonical equivalence, under which the byte count can differ for equal strings; a
    /// Kafka topic name is ASCII letters, digits, `.`, `_` and `-`, where it cannot.)
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.partition)
        hasher.combine(self.topic.utf8.count)
        hasher.combine(self.topic.utf8.last)
    }
}

/// Special offsets understood by librdkafka where an offset is expected.
public enum KafkaOffset {
    /// The oldest offset still in the log (`RD_KAFKA_OFFSET_BEGINNING`).
    public static let beginning: Int64 = -2
    /// The offset after the last record (`RD_KAFKA_OFFSET_END`).
    public static let end: Int64 = -1
    /// The committed offset, falling back to `auto.offset.reset` (`RD_KAFKA_OFFSET_STORED`).
    public static let stored: Int64 = -1000
}

/// A record header: a name with binary value (Kafka allows duplicates and keeps order).
public struct KafkaHeader: Hashable, Sendable {
    /// The header name.
    public var key: String
    /// The header value; `nil` for a null header.
    public var value: [UInt8]?

    /// Creates a header.
    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// A record timestamp with its type.
public struct KafkaTimestamp: Hashable, Sendable {
    /// Who set the timestamp.
    public enum Kind: Hashable, Sendable {
        /// Set by the producer (`CreateTime`).
        case createTime
        /// Set by the broker on append (`LogAppendTime`).
        case logAppendTime
    }

    /// Milliseconds since the Unix epoch.
    public var milliseconds: Int64
    /// Who set it.
    public var kind: Kind

    /// Creates a timestamp.
    public init(milliseconds: Int64, kind: Kind) {
        self.milliseconds = milliseconds
        self.kind = kind
    }
}
