import Kafka

/// `relay_consumer_lag`: per assigned partition, the records after the group's committed offset
/// up to the partition's end, from a librdkafka statistics report. A value, tested with plain
/// values (`ConsumerLagTests`).
///
/// The formula, per partition: **end − committed**, never below 0, where
/// - *end* is the last stable offset (`ls_offset`) when the consumer reads `read_committed`
///   (librdkafka's default `isolation.level`), the high watermark (`hi_offset`) when it reads
///   `read_uncommitted`: the offset the next record a consumer may read will get;
/// - *committed* is the group's committed offset (`committed_offset`: fetched from the
///   coordinator when the partition was assigned, then each commit of this member), or, when
///   the group has committed nothing for the partition yet, the low watermark (`lo_offset`):
///   a new group starts at the earliest record, so everything still in the log is lag.
///
/// This is the lag Kafka's own tools report for a group (`kafka-consumer-groups --describe`),
/// so alerts agree with them. It counts records that are read but not yet settled (see
/// `relay_commit_lag` for those); a partition whose end or start librdkafka does not know yet
/// has no value.
struct ConsumerLag {
    /// The lag of one partition, or `nil` when librdkafka does not know its end or start yet.
    ///
    /// - Parameters:
    ///   - partition: The partition's figures from the report.
    ///   - readCommitted: Whether the consumer reads `read_committed` (ends at `ls_offset`).
    static func of(_ partition: KafkaStatistics.Partition, readCommitted: Bool) -> Int64? {
        let end = readCommitted ? (partition.lastStableOffset ?? partition.highWatermark) : partition.highWatermark
        guard let end, let start = partition.committedOffset ?? partition.lowWatermark else { return nil }
        return max(0, end - start)
    }

    /// The lag of every partition in `assigned` that the report knows.
    ///
    /// - Parameters:
    ///   - statistics: A consumer's statistics report (it also lists partitions no longer assigned).
    ///   - assigned: The partitions this member owns now.
    ///   - readCommitted: Whether the consumer reads `read_committed`.
    static func lags(
        in statistics: KafkaStatistics,
        assigned: Set<KafkaTopicPartition>,
        readCommitted: Bool
    ) -> [KafkaTopicPartition: Int64] {
        var lags: [KafkaTopicPartition: Int64] = [:]
        for partition in assigned {
            guard let figures = statistics.partitions[partition] else { continue }
            lags[partition] = Self.of(figures, readCommitted: readCommitted)
        }
        return lags
    }

    /// Whether a consumer with these passthrough properties reads `read_committed` (librdkafka's
    /// default, unless `isolation.level` says `read_uncommitted`).
    static func readsCommitted(properties: [String: String]) -> Bool {
        properties["isolation.level"]?.lowercased() != "read_uncommitted"
    }
}
