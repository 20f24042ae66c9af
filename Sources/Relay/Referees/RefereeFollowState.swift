/// How far this instance has read the referees topic, and which progress records it may
/// believe: a value type, tested with plain values.
///
/// A progress record says "every referred account of this `account-created` partition up to
/// this time is in the store". Its writer sent it after the broker had acknowledged those
/// accounts' records, but they may sit in other partitions of the referees topic that this
/// instance has not read as far yet. So a progress record read here is believed only once every
/// partition has been read up to the end offsets queried after it was read (the barrier): the
/// accounts acknowledged before it are then applied too. A barrier covers only progress records
/// read before its end offsets were asked for: one read while the query was in flight may
/// vouch for accounts written after the broker answered it.
struct RefereeFollowState: Sendable, Equatable {
    /// The next offset to read, per partition of the referees topic.
    private(set) var positions: [Int32: Int64]
    /// Progress records read and not believed yet, waiting for a barrier.
    private(set) var unconfirmed: [RefereeProgress] = []
    /// Progress records read so far (the first of ``unconfirmed`` is number
    /// `progressRead - unconfirmed.count`, counting from 0).
    private(set) var progressRead = 0
    /// The end offsets queried after the records in ``barrierMarkers`` were read.
    private(set) var barrier: [Int32: Int64]?
    /// The progress records the barrier confirms.
    private(set) var barrierMarkers: [RefereeProgress] = []
    /// Progress records confirmed and taken by a flush whose transaction rolled back: given
    /// out again first.
    private(set) var confirmedAgain: [RefereeProgress] = []
    /// The end offsets at start: restored once every partition is read up to them.
    private(set) var restoreTarget: [Int32: Int64]
    /// Partitions behind at start being restored now.
    private(set) var restoring: Set<Int32> = []
    /// Partitions behind at start not read yet: they start when half of ``restoring`` reached
    /// their target, as many as there is room for (each start is a new assignment, which
    /// refetches what the others had prefetched, so they start in groups). librdkafka's prefetch
    /// is per partition, so memory during a restore is bounded by how many are read at once,
    /// not by how many the topic has.
    private(set) var notStarted: [Int32] = []
    /// How many partitions that are behind are read at once.
    private let restoreLimit: Int

    /// Starts at `positions` (the next offset of each partition), restored once at `target`,
    /// reading at most `restoreLimit` partitions that are behind at once.
    init(positions: [Int32: Int64], target: [Int32: Int64], restoreLimit: Int = .max) {
        self.positions = positions
        self.restoreTarget = target
        let behind = target.keys.sorted().filter { (positions[$0] ?? 0) < (target[$0] ?? 0) }
        self.restoreLimit = max(1, restoreLimit)
        self.restoring = Set(behind.prefix(self.restoreLimit))
        self.notStarted = Array(behind.dropFirst(self.restoreLimit))
    }

    /// Whether every partition was read up to the end offsets it had at start.
    var restored: Bool { Self.reached(restoreTarget, positions) }

    /// The partitions to read now: every one but those whose restore has not started.
    var reading: [Int32] { positions.keys.filter { !notStarted.contains($0) }.sorted() }

    /// A record was read at `offset` of `partition`.
    ///
    /// - Returns: The partitions whose restore starts now (empty almost always).
    @discardableResult
    mutating func read(partition: Int32, offset: Int64) -> [Int32] {
        positions[partition] = max(positions[partition] ?? 0, offset + 1)
        guard !notStarted.isEmpty, restoring.contains(partition),
            (positions[partition] ?? 0) >= (restoreTarget[partition] ?? 0)
        else { return [] }
        restoring.remove(partition)
        guard restoring.count <= restoreLimit / 2 else { return [] }
        let started = Array(notStarted.prefix(restoreLimit - restoring.count))
        notStarted.removeFirst(started.count)
        restoring.formUnion(started)
        return started
    }

    /// A progress record was read (after ``read(partition:offset:)`` for its position).
    mutating func readProgress(_ progress: RefereeProgress) {
        unconfirmed.append(progress)
        progressRead += 1
    }

    /// Whether end offsets should be queried now: progress records wait and no barrier is set.
    var needsBarrier: Bool { barrier == nil && !unconfirmed.isEmpty }

    /// Sets the barrier to `ends`, end offsets asked for when ``progressRead`` was
    /// `askedAfter`: for the progress records read before then and not covered yet.
    mutating func setBarrier(_ ends: [Int32: Int64], askedAfter: Int) {
        let first = progressRead - unconfirmed.count
        let covered = min(unconfirmed.count, askedAfter - first)
        guard barrier == nil, covered > 0 else { return }
        barrier = ends
        barrierMarkers = Array(unconfirmed.prefix(covered))
        unconfirmed.removeFirst(covered)
    }

    /// Whether ``takeConfirmed()`` has progress records to give.
    var hasConfirmable: Bool { !confirmedAgain.isEmpty || (barrier.map { Self.reached($0, positions) } ?? false) }

    /// The progress records now believed (the barrier is reached, or given back), once each.
    mutating func takeConfirmed() -> [RefereeProgress] {
        let again = confirmedAgain
        confirmedAgain = []
        guard let barrier, Self.reached(barrier, positions) else { return again }
        self.barrier = nil
        defer { barrierMarkers = [] }
        return again + barrierMarkers
    }

    /// Progress records taken by ``takeConfirmed()`` that were not saved (their flush's
    /// transaction rolled back): the next take gives them out again.
    mutating func confirmAgain(_ markers: [RefereeProgress]) {
        confirmedAgain = markers + confirmedAgain
    }

    /// Whether `positions` are at or past `ends` in every partition.
    static func reached(_ ends: [Int32: Int64], _ positions: [Int32: Int64]) -> Bool {
        ends.allSatisfy { partition, end in (positions[partition] ?? 0) >= end }
    }
}
