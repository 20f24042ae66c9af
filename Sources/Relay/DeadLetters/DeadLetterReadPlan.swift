import Kafka

/// Where a `dlq` command starts and stops reading each partition of the dead-letter topic:
/// `[start, end)`, with `end` the high watermark captured when the command started, so a
/// command always finishes even while the relay keeps writing dead letters.
public struct DeadLetterReadPlan: Sendable, Hashable {
    /// Offsets to read per partition; only partitions with something to read appear.
    public var ranges: [KafkaTopicPartition: Range<Int64>]

    /// Creates a plan from ranges (empty ranges are dropped).
    public init(ranges: [KafkaTopicPartition: Range<Int64>]) {
        self.ranges = ranges.filter { !$0.value.isEmpty }
    }

    /// The records the plan covers, at most (a trimmed or compacted log holds fewer).
    public var recordCount: Int64 { ranges.values.reduce(0) { $0 + Int64($1.count) } }

    /// The first offset to read in one partition.
    ///
    /// - Parameters:
    ///   - low: The partition's low watermark (oldest record still in the log).
    ///   - high: The partition's high watermark captured at start (the end).
    ///   - committed: The run's committed offset (next to read), which wins: a resumed run
    ///     continues where it stopped.
    ///   - fromOffset: The first offset at or after `--from` (`KafkaOffset.end`, -1, when no
    ///     record is that recent); used only without a commit.
    /// - Returns: An offset in `low...high` (`high`: nothing to read).
    public static func start(low: Int64, high: Int64, committed: Int64?, fromOffset: Int64?) -> Int64 {
        let wanted: Int64
        if let committed, committed >= 0 {
            wanted = committed
        } else if let fromOffset {
            wanted = fromOffset < 0 ? high : fromOffset
        } else {
            wanted = low
        }
        // Retention may have trimmed past a commit; a commit may never pass the captured end.
        return min(max(wanted, low), high)
    }
}
