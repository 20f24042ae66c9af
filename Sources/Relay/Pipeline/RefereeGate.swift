import HeapModule
import Kafka

/// Milestones waiting for the referee store: a value type, tested with plain values
/// (`RefereeGateTests`).
///
/// A milestone whose account the store does not know may be early: its account's
/// `account-created` may not have been read yet (the two topics are not ordered with each
/// other). It must wait until the store is *through* its time on every `account-created`
/// partition (see ``RefereeProgressTracker``): only then is an account the store still does not
/// know not referred. Most players are not referred, so in a live stream nearly every milestone
/// without `mmref` waits here for about ``RefereeProgressTracker/lateness``.
///
/// Those waits are records, not tasks: each waiting milestone costs its record and a heap entry,
/// holds no window slot and polls nothing. ``release(through:now:wait:)`` hands back, in one
/// pass, every record the store's progress has reached.
///
/// The time a record waits for is its timestamp, but never later than the moment it was read
/// (``gate(_:timestamp:readAt:now:)``): a milestone cannot have happened after it was read, so a
/// timestamp in the future is a producer's skewed clock and must not hold the record until that
/// clock's time comes.
///
/// There is no deadline while the store has progress to compare with: a store that is behind
/// (a cold backlog, `registered` events held up by an MMOLove outage) is a store that has not
/// read those accounts *yet*, and skipping their milestones as not referred would lose their
/// rewards. The partition's commit is held meanwhile, which `/readyz` and the held-event alert
/// report. Only when some `account-created` partition has no progress at all (no instance has
/// written any) does the wait end after `wait`, as the only bound left.
struct RefereeGate: Sendable {
    /// A waiting record and what it waits for.
    struct Entry: Sendable {
        /// The milestone.
        var item: RelayWorkItem
        /// The store must be through this time (Unix milliseconds).
        var until: Int64
        /// When it started waiting.
        var since: ContinuousClock.Instant
        /// Its heap key's sequence (a key left by an earlier wait of the same record is stale).
        var sequence: UInt64
    }

    /// A heap key: the earliest time first, ties in arrival order.
    private struct Key: Comparable, Sendable {
        var until: Int64
        var sequence: UInt64
        var ticket: OffsetTicket

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.until, lhs.sequence) < (rhs.until, rhs.sequence)
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.sequence == rhs.sequence }
    }

    /// The waiting records; the heap may still name records removed since (revoked, drained).
    private(set) var entries: [OffsetTicket: Entry] = [:]
    private var byTime = Heap<Key>()
    private var sequence: UInt64 = 0
    /// Waiting records per partition.
    private(set) var perPartition: [KafkaTopicPartition: Int] = [:]
    /// Waiting records per account (released as soon as the store learns the account).
    private var byAccount: [String: [OffsetTicket]] = [:]

    /// Records waiting.
    var count: Int { self.entries.count }

    /// `item` waits for the store to be through `timestamp` (or through `readAt`, the Unix
    /// milliseconds when it was read, when that is earlier; the present when it has no timestamp).
    mutating func gate(_ item: RelayWorkItem, timestamp: Int64?, readAt: Int64, now: ContinuousClock.Instant) {
        let until = min(timestamp ?? readAt, readAt)
        self.sequence &+= 1
        self.entries[item.ticket] = Entry(item: item, until: until, since: now, sequence: self.sequence)
        self.byTime.insert(Key(until: until, sequence: self.sequence, ticket: item.ticket))
        self.perPartition[item.ticket.partition, default: 0] += 1
        if let account = Self.account(item) { self.byAccount[account, default: []].append(item.ticket) }
    }

    /// The records of `accounts`, which the store has just learnt, in arrival order: they need
    /// not wait for its progress any more (a milestone read before its account-created goes
    /// as soon as that account is written, not a progress round later).
    mutating func release(accounts: some Sequence<String>) -> [RelayWorkItem] {
        guard !self.byAccount.isEmpty else { return [] }
        var released: [RelayWorkItem] = []
        for account in accounts {
            guard let tickets = self.byAccount[account] else { continue }
            for ticket in tickets {
                guard let entry = self.take(ticket) else { continue }
                var item = entry.item
                item.storeWaitOver = true
                released.append(item)
            }
        }
        self.compactIfSparse()
        return released
    }

    private static func account(_ item: RelayWorkItem) -> String? {
        guard case .deliver(let request) = item.decision else { return nil }
        return request.accountID
    }

    /// The records the store's progress has reached, earliest first, each marked
    /// ``RelayWorkItem/storeWaitOver``: every `account-created` partition is through `through`
    /// (`nil`: some partition has no progress yet; records waiting at least `wait` are then
    /// released).
    mutating func release(through: Int64?, now: ContinuousClock.Instant, wait: Duration) -> [RelayWorkItem] {
        var released: [RelayWorkItem] = []
        if let through {
            while let first = self.byTime.min, first.until <= through {
                self.byTime.removeMin()
                guard self.isCurrent(first), let entry = self.take(first.ticket) else { continue }
                var item = entry.item
                item.storeWaitOver = true
                released.append(item)
            }
        } else {
            // Rare (a new deployment's first seconds, a partition nobody owns): a full scan.
            let expired = self.entries.values.filter { now - $0.since >= wait }.sorted { $0.until < $1.until }
            for entry in expired {
                var item = entry.item
                item.storeWaitOver = true
                _ = self.take(item.ticket)
                released.append(item)
            }
        }
        self.compactIfSparse()
        return released
    }

    /// Forgets the records of `partitions` (revoked: the next owner reads them again).
    mutating func remove(_ partitions: Set<KafkaTopicPartition>) {
        for ticket in self.entries.keys where partitions.contains(ticket.partition) { _ = self.take(ticket) }
        self.compactIfSparse()
    }

    /// Forgets every record (draining: they stay unsettled, so they are read again).
    ///
    /// - Returns: How many were waiting.
    mutating func removeAll() -> Int {
        let count = self.entries.count
        self.entries = [:]
        self.byTime = Heap()
        self.perPartition = [:]
        self.byAccount = [:]
        return count
    }

    /// Whether `key` names a waiting record's current wait. Read in place: `entries[ticket]?`
    /// copied the whole entry (its record's buffers retained and released) for one integer.
    private func isCurrent(_ key: Key) -> Bool {
        guard let index = self.entries.index(forKey: key.ticket) else { return false }
        return self.entries.values[index].sequence == key.sequence
    }

    private mutating func take(_ ticket: OffsetTicket) -> Entry? {
        guard let entry = self.entries.removeValue(forKey: ticket) else { return nil }
        let left = (self.perPartition[ticket.partition] ?? 1) - 1
        self.perPartition[ticket.partition] = left > 0 ? left : nil
        if let account = Self.account(entry.item) {
            self.byAccount[account]?.removeAll { $0 == ticket }
            if self.byAccount[account]?.isEmpty == true { self.byAccount[account] = nil }
        }
        return entry
    }

    /// Rebuilds the heap when most of its keys name records no longer waiting, so removals
    /// by partition or expiry cannot grow it without bound.
    private mutating func compactIfSparse() {
        guard self.byTime.count > 64, self.byTime.count > 2 * self.entries.count else { return }
        self.byTime = Heap(self.byTime.unordered.filter { self.isCurrent($0) })
    }
}
