import DequeModule

/// The offsets of one partition read since its last commit, and which are settled: the
/// committable position is the first unsettled offset (everything before it is settled), so a
/// record is committed only when it and every earlier record of its partition are settled.
///
/// Offsets arrive in increasing order (Kafka delivers a partition in order); settling may
/// happen in any order (many accounts in flight within a partition).
///
/// When records were read is kept coarsely, for `relay_oldest_unsettled_age_seconds`: one
/// mark (offset, time) per ``readMarkInterval`` of reading at most, so the memory it takes grows
/// with the seconds the oldest unsettled record has been held, not with the records read past it.
struct PartitionProgress: Sendable {
    /// The resolution of read times: a record's read time is known to within this much (its
    /// mark's time is at most this much earlier than its own).
    static let readMarkInterval = Duration.seconds(1)

    /// A record and when it was read; the records read after it within ``readMarkInterval`` share
    /// its time.
    private struct ReadMark: Sendable {
        var offset: Int64
        var at: ContinuousClock.Instant
    }

    /// Read offsets from the first unsettled one on, oldest first; `head` is the logical start.
    private var offsets: [Int64] = []
    private var settled: [Bool] = []
    private var head = 0
    /// The first offset read, if any.
    private(set) var firstRead: Int64?
    /// The last offset read, if any.
    private(set) var lastRead: Int64?
    /// The next offset committed to the broker by this member, if any.
    private(set) var committed: Int64?
    /// The metadata committed with ``committed``.
    private(set) var committedMetadata: String?
    /// Offsets not yet read that an earlier member settled (from the commit metadata): they are
    /// settled as soon as they are read.
    private var settledEarlier: Set<Int64> = []
    /// Read marks from the one covering the oldest unsettled offset on, oldest first.
    private var readMarks = Deque<ReadMark>()

    /// Primes a fresh progress with what the broker holds: the committed offset and the offsets
    /// settled beyond it (see ``SettledOffsetsMetadata``).
    mutating func prime(committed: Int64, metadata: String?) {
        self.committed = committed
        self.committedMetadata = metadata
        self.settledEarlier = SettledOffsetsMetadata.decode(committed: committed, metadata: metadata)
    }

    /// Whether `offset` was settled by an earlier member (it must not be processed again).
    func wasSettledEarlier(_ offset: Int64) -> Bool { self.settledEarlier.contains(offset) }

    /// Records `offset` as read (not settled) at `now`.
    ///
    /// - Returns: `false` when `offset` is not after the last read one (a rewind): the caller
    ///   must start a new progress for the partition.
    mutating func read(_ offset: Int64, at now: ContinuousClock.Instant = .now) -> Bool {
        if let lastRead, offset <= lastRead { return false }
        self.offsets.append(offset)
        self.settled.append(false)
        if self.firstRead == nil { self.firstRead = offset }
        self.lastRead = offset
        if let last = self.readMarks.last, now - last.at < Self.readMarkInterval {
            // Read within the last mark's interval: its time stands for this record's.
        } else {
            self.readMarks.append(ReadMark(offset: offset, at: now))
        }
        return true
    }

    /// Marks `offset` settled; unknown offsets (already trimmed or never read) are ignored.
    mutating func settle(_ offset: Int64) {
        guard let index = self.index(of: offset) else { return }
        self.settled[index] = true
        while self.head < self.offsets.count, self.settled[self.head] { self.head += 1 }
        self.trimReadMarks()
        // Compact once the settled prefix dominates, so memory stays bounded by what is unsettled.
        if self.head > 1024, self.head * 2 > self.offsets.count {
            self.offsets.removeFirst(self.head)
            self.settled.removeFirst(self.head)
            self.head = 0
        }
    }

    /// The next offset to commit: the first unsettled offset, or the last read + 1 when all
    /// are settled; `nil` when nothing was read.
    var committable: Int64? {
        if self.head < self.offsets.count { return self.offsets[self.head] }
        return self.lastRead.map { $0 + 1 }
    }

    /// The offset and metadata to commit when either changed since the last commit (the
    /// metadata changes while a held record keeps the offset in place).
    var pendingCommit: (offset: Int64, metadata: String?)? {
        guard let committable else { return nil }
        if let committed, committed > committable { return nil }
        let metadata = self.metadata(for: committable)
        if committed == committable, metadata == self.committedMetadata { return nil }
        return (committable, metadata)
    }

    /// The settled offsets past `committable`: settled in the window, then earlier members'
    /// settled offsets not read yet (all ascending), encoded until the metadata is full.
    private func metadata(for committable: Int64) -> String? {
        let window = (self.head..<self.offsets.count).lazy.filter { self.settled[$0] }.map { self.offsets[$0] }
        let lastRead = self.lastRead ?? Int64.min
        let notYetRead = self.settledEarlier.filter { $0 > lastRead }.sorted()
        return SettledOffsetsMetadata.encode(
            committed: committable, settled: [AnySequence(window), AnySequence(notYetRead)].joined())
    }

    /// The first unsettled offset read, if any: the record that holds the commit.
    var oldestUnsettled: Int64? {
        self.head < self.offsets.count ? self.offsets[self.head] : nil
    }

    /// When the oldest unsettled record was read (at most ``readMarkInterval`` before it really
    /// was), if there is one.
    var oldestUnsettledReadAt: ContinuousClock.Instant? {
        guard let oldest = self.oldestUnsettled else { return nil }
        return self.readMarks.last { $0.offset <= oldest }?.at
    }

    /// Drops the marks older than the one covering the oldest unsettled offset (the last mark
    /// stays while everything is settled: the next reads may fall within its interval).
    private mutating func trimReadMarks() {
        let oldest = self.oldestUnsettled ?? Int64.max
        while self.readMarks.count > 1, self.readMarks[1].offset <= oldest { self.readMarks.removeFirst() }
    }

    /// Records read from the first unsettled offset on (0 when all are settled).
    var window: Int64 {
        guard self.head < self.offsets.count, let lastRead else { return 0 }
        return lastRead + 1 - self.offsets[self.head]
    }

    /// Records read but not committed (the commit lag of this member).
    var commitLag: Int64 {
        guard let lastRead, let start = self.committed ?? self.firstRead else { return 0 }
        return max(0, lastRead + 1 - start)
    }

    /// Records that the broker acknowledged a commit of `offset` with `metadata` (never moves
    /// backwards).
    mutating func committed(_ offset: Int64, metadata: String? = nil) {
        if let committed, committed > offset { return }
        self.committed = offset
        self.committedMetadata = metadata
        // Earlier members' settled offsets at or below the commit are history now.
        if !self.settledEarlier.isEmpty { self.settledEarlier = self.settledEarlier.filter { $0 >= offset } }
    }

    private func index(of offset: Int64) -> Int? {
        // Binary search over the live window: offsets are strictly increasing.
        var low = self.head
        var high = self.offsets.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let value = self.offsets[mid]
            if value == offset { return mid }
            if value < offset { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }
}
