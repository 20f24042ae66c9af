import DequeModule
import Kafka

/// Merges the partitions of a replay into one stream in record-timestamp order, with a bounded
/// look-ahead per partition: a value type, tested with plain values (`TimestampMergeTests`).
///
/// A record is released only when every partition that still has records to give (open, and not
/// blocked) has at least one buffered, and it is the oldest of the buffered heads; so an
/// account's `account-created` goes into the relay before its `milestone-reached` whenever
/// their timestamps say so, across topics and partitions. Equal timestamps release the
/// dependency topic (account-created) first.
///
/// Bounded: a partition with ``lookahead`` buffered records is reported in ``full`` and must be
/// held by the owner (its records are still accepted, so nothing the client already fetched is
/// ever dropped). A partition the owner cannot read for a reason that only this merge could
/// lift (see ``release(blocked:)``) is passed as blocked and no longer awaited, so the merge can
/// never wait on a partition that waits on the merge.
struct TimestampMerge: Sendable {
    /// Records buffered per partition before it is reported full.
    let lookahead: Int
    /// The topic whose records go first on equal timestamps.
    let dependencyTopic: String
    /// Per partition, the offset at which its window ends (exclusive).
    let ends: [KafkaTopicPartition: Int64]
    /// Partitions with records left to read.
    private(set) var open: Set<KafkaTopicPartition>
    private var buffers: [KafkaTopicPartition: Deque<KafkaConsumerMessage>] = [:]
    /// Records buffered in all partitions.
    private(set) var buffered = 0

    /// Creates a merge over partitions whose windows end at `ends` and start at `starts` (the
    /// next offset each will be read from; a partition whose start is at its end is finished).
    init(
        starts: [KafkaTopicPartition: Int64],
        ends: [KafkaTopicPartition: Int64],
        lookahead: Int,
        dependencyTopic: String
    ) {
        self.lookahead = max(1, lookahead)
        self.dependencyTopic = dependencyTopic
        self.ends = ends
        self.open = Set(ends.keys.filter { (starts[$0] ?? 0) < ends[$0]! })
    }

    /// Every partition has been read to its end and every record released.
    var isDone: Bool { self.open.isEmpty && self.buffered == 0 }

    /// Partitions the owner must not read now: full ones, and finished ones (past their end).
    var held: Set<KafkaTopicPartition> {
        var held = Set(self.ends.keys).subtracting(self.open)
        for (partition, buffer) in self.buffers where buffer.count >= self.lookahead { held.insert(partition) }
        return held
    }

    /// Takes a consumed record.
    ///
    /// - Returns: `false` for a record outside the window (at or past its partition's end, or
    ///   of a partition not in the replay): the owner ignores it, it is never worked on.
    mutating func add(_ message: KafkaConsumerMessage) -> Bool {
        let partition = message.topicPartition
        guard let end = self.ends[partition] else { return false }
        guard message.offset < end else {
            // Past the end: every record of the window in this partition has come, even when its
            // last offsets held none (a transactional producer's commit markers).
            self.open.remove(partition)
            return false
        }
        self.buffers[partition, default: []].append(message)
        self.buffered += 1
        // The last record of the window: nothing more to wait for from this partition.
        if message.offset + 1 >= end { self.open.remove(partition) }
        return true
    }

    /// Marks a partition finished although its last record never came (its remaining offsets
    /// hold no records: transaction markers, records removed by retention).
    mutating func finish(_ partition: KafkaTopicPartition) {
        self.open.remove(partition)
    }

    /// Releases the records that may go now, oldest first.
    ///
    /// - Parameter blocked: Partitions the owner holds until records already released settle
    ///   (a partition that fed many parked deliveries): awaiting their next record could wait
    ///   forever on records held here, so the merge does without them.
    mutating func release(blocked: Set<KafkaTopicPartition> = []) -> [KafkaConsumerMessage] {
        var released: [KafkaConsumerMessage] = []
        while true {
            // An open partition with nothing buffered may still give an older record: wait.
            if self.open.contains(where: { !blocked.contains($0) && (self.buffers[$0]?.isEmpty ?? true) }) { break }
            guard let next = self.oldestHead() else { break }
            released.append(self.buffers[next]!.removeFirst())
            self.buffered -= 1
        }
        return released
    }

    /// The partition whose first buffered record goes next.
    private func oldestHead() -> KafkaTopicPartition? {
        var best: (partition: KafkaTopicPartition, key: (Int64, Int, Int32))?
        for (partition, buffer) in self.buffers {
            guard let head = buffer.first else { continue }
            let key = (
                head.timestamp?.milliseconds ?? Int64.min, partition.topic == self.dependencyTopic ? 0 : 1,
                partition.partition
            )
            if best == nil || key < best!.key { best = (partition, key) }
        }
        return best?.partition
    }
}
