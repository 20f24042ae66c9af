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

/// One partition's commit: the next offset and the settled offsets beyond it, as metadata.
struct PendingCommit: Sendable, Hashable {
    /// The next offset to read.
    var offset: Int64
    /// ``SettledOffsetsMetadata`` of the offsets settled past `offset`, if any.
    var metadata: String? = nil
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

    /// Records a read at `now` and returns its ticket; `nil` for an offset not after the last one read
    /// in this epoch: the client delivered a record a second time (its first copy is already
    /// waiting, in flight or settled, and settles it), so it must not be worked on again.
    mutating func read(
        _ partition: KafkaTopicPartition,
        offset: Int64,
        at now: ContinuousClock.Instant = .now
    ) -> OffsetTicket? {
        if self.entries[partition] == nil { self.entries[partition] = self.newEntry() }
        // Mutated in place: a copy of the entry would copy its arrays on every read.
        guard self.entries[partition]?.progress.read(offset, at: now) == true,
            let epoch = self.entries[partition]?.epoch
        else {
            return nil
        }
        return OffsetTicket(partition: partition, offset: offset, epoch: epoch)
    }

    private mutating func newEntry() -> Entry {
        defer { self.nextEpoch += 1 }
        return Entry(epoch: self.nextEpoch)
    }

    /// The next offset this member will read from `partition`: after the last one read, else
    /// the committed one; `nil` when neither is known.
    func nextOffset(_ partition: KafkaTopicPartition) -> Int64? {
        guard let progress = self.entries[partition]?.progress else { return nil }
        return progress.lastRead.map { $0 + 1 } ?? progress.committed
    }

    /// The first offset of `partition` not known to be settled (everything before it is):
    /// the committable position, else the committed one; `nil` when neither is known.
    func settledThrough(_ partition: KafkaTopicPartition) -> Int64? {
        guard let progress = self.entries[partition]?.progress else { return nil }
        return progress.committable ?? progress.committed
    }

    /// Settles a ticket; stale tickets (revoked partition, older epoch) are ignored.
    mutating func settle(_ ticket: OffsetTicket) {
        guard self.entries[ticket.partition]?.epoch == ticket.epoch else { return }
        self.entries[ticket.partition]?.progress.settle(ticket.offset)
    }

    /// Starts a partition's progress (a new epoch) from what the broker holds for the group:
    /// its committed offset and the offsets an earlier member settled beyond it.
    mutating func prime(_ partition: KafkaTopicPartition, committed: KafkaCommittedOffset) {
        var entry = self.newEntry()
        entry.progress.prime(committed: committed.offset, metadata: committed.metadata)
        self.entries[partition] = entry
    }

    /// Whether an earlier member already settled this record (it is settled, not processed).
    func wasSettledEarlier(_ ticket: OffsetTicket) -> Bool {
        guard let entry = self.entries[ticket.partition], entry.epoch == ticket.epoch else { return false }
        return entry.progress.wasSettledEarlier(ticket.offset)
    }

    /// What to commit now per partition (next offset and the settled-beyond metadata), limited
    /// to `partitions` when given.
    func pendingCommits(in partitions: Set<KafkaTopicPartition>? = nil) -> [KafkaTopicPartition: PendingCommit] {
        var commits: [KafkaTopicPartition: PendingCommit] = [:]
        for (partition, entry) in self.entries where partitions?.contains(partition) ?? true {
            if let pending = entry.progress.pendingCommit {
                commits[partition] = PendingCommit(offset: pending.offset, metadata: pending.metadata)
            }
        }
        return commits
    }

    /// Records acknowledged commits.
    mutating func committed(_ commits: [KafkaTopicPartition: PendingCommit]) {
        for (partition, commit) in commits {
            self.entries[partition]?.progress.committed(commit.offset, metadata: commit.metadata)
        }
    }

    /// Forgets partitions (revoked): their tickets become stale.
    mutating func remove(_ partitions: some Sequence<KafkaTopicPartition>) {
        for partition in partitions { self.entries[partition] = nil }
    }

    /// Records read from the partition's oldest unsettled one on (0 when all are settled).
    func window(_ partition: KafkaTopicPartition) -> Int64 {
        self.entries[partition]?.progress.window ?? 0
    }

    /// The oldest unsettled offset read, per partition that has one.
    var oldestUnsettled: [KafkaTopicPartition: Int64] {
        self.entries.compactMapValues { $0.progress.oldestUnsettled }
    }

    /// When the oldest unsettled record was read, per partition that has one (see
    /// ``PartitionProgress/oldestUnsettledReadAt``).
    var oldestUnsettledReadTimes: [KafkaTopicPartition: ContinuousClock.Instant] {
        self.entries.compactMapValues { $0.progress.oldestUnsettledReadAt }
    }

    /// Records read but not committed, per partition.
    var commitLags: [KafkaTopicPartition: Int64] {
        self.entries.mapValues { $0.progress.commitLag }
    }
}
