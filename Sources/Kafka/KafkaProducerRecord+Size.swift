extension KafkaProducerRecord {
    /// Bytes librdkafka may add to a record's key, value and headers when it checks the record
    /// against `message.max.bytes` (the v2 record's varints, attributes, timestamp and offset
    /// deltas: at most 36 in 2.0.2), rounded up with room for the batch header a broker counts.
    public static let sizeOverhead = 128

    /// An upper bound of the size librdkafka and a broker hold against `message.max.bytes`:
    /// key, value, each header's name and value with their length varints, and
    /// ``sizeOverhead``. A record whose estimate is at most the limit is never refused for its
    /// size by librdkafka's own check.
    public var sizeEstimate: Int {
        var size = Self.sizeOverhead + (self.key?.count ?? 0) + self.value.count
        for header in self.headers {
            size += header.key.utf8.count + (header.value?.count ?? 0) + 10
        }
        return size
    }
}
