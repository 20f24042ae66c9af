/// Where a consumed record came from; copied into its outcome (`source`) and dead letter
/// (`__connect.errors.*` headers).
public struct RecordSource: Sendable, Hashable {
    /// The source topic.
    public var topic: String
    /// The source partition.
    public var partition: Int32
    /// The record's offset.
    public var offset: Int64
    /// The record timestamp in milliseconds since the epoch, when the broker gave one.
    public var timestampMilliseconds: Int64?

    /// Creates a source position.
    public init(topic: String, partition: Int32, offset: Int64, timestampMilliseconds: Int64?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestampMilliseconds = timestampMilliseconds
    }
}
