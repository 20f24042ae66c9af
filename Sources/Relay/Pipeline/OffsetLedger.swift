import Kafka

/// Identifies one consumed record for settling: its partition, offset and the partition's
/// epoch, so a settlement that arrives after the partition was revoked (and maybe assigned
/// again) is ignored instead of advancing a stale position.
struct OffsetTicket: Sendable, Hashable {
    /// The record's partition.
    var partition: KafkaTopicPartition
    /// The record's offset.
    var offset: Int64
    /// The ledger epoch of the partition when the record was read.
    var epoch: UInt64
}

/// Per-partition progress of everything this member read: what is settled, what may be
/// committed, what was committed. Not thread-safe: ``RelayPipeline`` holds it under its lock.
struct OffsetLedger: Sendable {
    private struct Entry: Sendable {
        var epoch: UInt64
        var progress = PartitionProgress()
    }

    private var entries: [KafkaTopicPartition: Entry] = [:]
    private var nextEpoch: UInt64 = 1

    /// Records a read and returns its ticket. A rewind (an offset not after the last read one,
    /// e.g. after a seek) starts a new epoch for the partition: earlier unsettled records of it
    /// will be read again, so their tickets must not count.
    mutating func read(_ partition: KafkaTopicPartition, offset: Int64) -> OffsetTicket {
        if var entry = self.entries[partition], entry.progress.read(offset) {
            self.entries[partition] = entry
            return OffsetTicket(partition: partition, offset: offset, epoch: entry.epoch)
        }
        var entry = Entry(epoch: self.nextEpoch)
        self.nextEpoch += 1
        if let previous = self.entries[partition]?.progress.committed {
            entry.progress.committed(previous)
        }
        _ = entry.progress.read(offset)
        self.entries[partition] = entry
        return OffsetTicket(partition: partition, offset: offset, epoch: entry.epoch)
    }

    /// Settles a ticket; stale tickets (revoked partition, older epoch) are ignored.
    mutating func settle(_ ticket: OffsetTicket) {
        guard var entry = self.entries[ticket.partition], entry.epoch == ticket.epoch else { return }
        entry.progress.settle(ticket.offset)
        self.entries[ticket.partition] = entry
    }

    /// The offsets to commit now (next offset per partition), limited to `partitions` when given.
    func pendingCommits(in partitions: Set<KafkaTopicPartition>? = nil) -> [KafkaTopicPartition: Int64] {
        var offsets: [KafkaTopicPartition: Int64] = [:]
        for (partition, entry) in self.entries where partitions?.contains(partition) ?? true {
            if let offset = entry.progress.pendingCommit { offsets[partition] = offset }
        }
        return offsets
    }

    /// Records acknowledged commits.
    mutating func committed(_ offsets: [KafkaTopicPartition: Int64]) {
        for (partition, offset) in offsets {
            self.entries[partition]?.progress.committed(offset)
        }
    }

    /// Forgets partitions (revoked): their tickets become stale.
    mutating func remove(_ partitions: some Sequence<KafkaTopicPartition>) {
        for partition in partitions { self.entries[partition] = nil }
    }

    /// Records read but not committed, per partition.
    var commitLags: [KafkaTopicPartition: Int64] {
        self.entries.mapValues { $0.progress.commitLag }
    }
}
