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
        var partition: KafkaTopicPartition
        var epoch: UInt64
        var progress = PartitionProgress()
    }

    /// The partitions' entries, in no order; `slots` says where each one is. Not a dictionary of
    /// entries: mutating a value in a dictionary goes through its `_modify` accessor, whose
    /// coroutine frame (too large for the caller's buffer, with an entry this size) is a heap
    /// allocation per access, three per record read or settled. An array element is mutated
    /// in place.
    private var entries: [Entry] = []
    private var slots: [KafkaTopicPartition: Int] = [:]
    private var nextEpoch: UInt64 = 1

    /// Records a read at `now` and returns its ticket; `nil` for an offset not after the last one read
    /// in this epoch: the client delivered a record a second time (its first copy is already
    /// waiting, in flight or settled, and settles it), so it must not be worked on again.
    mutating func read(
        _ partition: KafkaTopicPartition,
        offset: Int64,
        at now: ContinuousClock.Instant = .now
    ) -> OffsetTicket? {
        let slot = self.slots[partition] ?? self.insert(self.newEntry(partition))
        guard self.entries[slot].progress.read(offset, at: now) else { return nil }
        return OffsetTicket(partition: partition, offset: offset, epoch: self.entries[slot].epoch)
    }

    private mutating func newEntry(_ partition: KafkaTopicPartition) -> Entry {
        defer { self.nextEpoch += 1 }
        return Entry(partition: partition, epoch: self.nextEpoch)
    }

    /// Puts `entry` in its partition's slot (a new one if it has none) and returns the slot.
    @discardableResult
    private mutating func insert(_ entry: Entry) -> Int {
        if let slot = self.slots[entry.partition] {
            self.entries[slot] = entry
            return slot
        }
        self.slots[entry.partition] = self.entries.count
        self.entries.append(entry)
        return self.entries.count - 1
    }

    /// The next offset this member will read from `partition`: after the last one read, else
    /// the committed one; `nil` when neither is known.
    func nextOffset(_ partition: KafkaTopicPartition) -> Int64? {
        guard let slot = self.slots[partition] else { return nil }
        return self.entries[slot].progress.lastRead.map { $0 + 1 } ?? self.entries[slot].progress.committed
    }

    /// The first offset of `partition` not known to be settled (everything before it is):
    /// the committable position, else the committed one; `nil` when neither is known.
    func settledThrough(_ partition: KafkaTopicPartition) -> Int64? {
        guard let slot = self.slots[partition] else { return nil }
        return self.entries[slot].progress.committable ?? self.entries[slot].progress.committed
    }

    /// Settles a ticket; stale tickets (revoked partition, older epoch) are ignored.
    mutating func settle(_ ticket: OffsetTicket) {
        guard let slot = self.slots[ticket.partition], self.entries[slot].epoch == ticket.epoch else { return }
        self.entries[slot].progress.settle(ticket.offset)
    }

    /// Starts a partition's progress (a new epoch) from what the broker holds for the group:
    /// its committed offset and the offsets an earlier member settled beyond it.
    mutating func prime(_ partition: KafkaTopicPartition, committed: KafkaCommittedOffset) {
        var entry = self.newEntry(partition)
        entry.progress.prime(committed: committed.offset, metadata: committed.metadata)
        self.insert(entry)
    }

    /// Whether an earlier member already settled this record (it is settled, not processed).
    func wasSettledEarlier(_ ticket: OffsetTicket) -> Bool {
        guard let slot = self.slots[ticket.partition], self.entries[slot].epoch == ticket.epoch else { return false }
        return self.entries[slot].progress.wasSettledEarlier(ticket.offset)
    }

    /// What to commit now per partition (next offset and the settled-beyond metadata), limited
    /// to `partitions` when given.
    func pendingCommits(in partitions: Set<KafkaTopicPartition>? = nil) -> [KafkaTopicPartition: PendingCommit] {
        var commits: [KafkaTopicPartition: PendingCommit] = [:]
        for entry in self.entries where partitions?.contains(entry.partition) ?? true {
            if let pending = entry.progress.pendingCommit {
                commits[entry.partition] = PendingCommit(offset: pending.offset, metadata: pending.metadata)
            }
        }
        return commits
    }

    /// Records acknowledged commits.
    mutating func committed(_ commits: [KafkaTopicPartition: PendingCommit]) {
        for (partition, commit) in commits {
            guard let slot = self.slots[partition] else { continue }
            self.entries[slot].progress.committed(commit.offset, metadata: commit.metadata)
        }
    }

    /// Forgets partitions (revoked): their tickets become stale.
    mutating func remove(_ partitions: some Sequence<KafkaTopicPartition>) {
        for partition in partitions {
            guard let slot = self.slots.removeValue(forKey: partition) else { continue }
            // The last entry takes the freed slot.
            let last = self.entries.count - 1
            if slot != last {
                self.entries.swapAt(slot, last)
                self.slots[self.entries[slot].partition] = slot
            }
            self.entries.removeLast()
        }
    }

    /// Records read from the partition's oldest unsettled one on (0 when all are settled).
    func window(_ partition: KafkaTopicPartition) -> Int64 {
        guard let slot = self.slots[partition] else { return 0 }
        return self.entries[slot].progress.window
    }

    /// The oldest unsettled offset read, per partition that has one.
    var oldestUnsettled: [KafkaTopicPartition: Int64] {
        self.values { $0.oldestUnsettled }
    }

    /// When the oldest unsettled record was read, per partition that has one (see
    /// ``PartitionProgress/oldestUnsettledReadAt``).
    var oldestUnsettledReadTimes: [KafkaTopicPartition: ContinuousClock.Instant] {
        self.values { $0.oldestUnsettledReadAt }
    }

    /// Records read but not committed, per partition.
    var commitLags: [KafkaTopicPartition: Int64] {
        self.values { $0.commitLag }
    }

    private func values<Value>(_ value: (PartitionProgress) -> Value?) -> [KafkaTopicPartition: Value] {
        var values: [KafkaTopicPartition: Value] = [:]
        for entry in self.entries {
            if let v = value(entry.progress) { values[entry.partition] = v }
        }
        return values
    }
}
