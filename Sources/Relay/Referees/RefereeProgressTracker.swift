import DequeModule
import Kafka

/// Turns this member's settled `account-created` prefixes into progress records for the referee
/// store: a value type, tested with plain values.
///
/// A record of `account-created` settles only after its account was written to the store (see
/// ``RelayPipeline/consultReferees(_:_:)``), so once a partition's records before offset `n`
/// are settled, every referred account among them is in the store. Record timestamps in a
/// partition are nearly, not strictly, in offset order (several producers, retries), so the
/// partition is *through* the newest timestamp among them less ``lateness``. A partition read to
/// its end with everything settled is through the present less ``lateness`` (a record produced
/// that recently may not be on the broker yet).
///
/// The cost: a milestone without `mmref` of a player who was not referred waits about
/// ``lateness`` (and a progress record's trip through the topic) before it is skipped.
struct RefereeProgressTracker: Sendable {
    /// How far out of order, in milliseconds, an `account-created` record may arrive.
    static let lateness: Int64 = 5_000

    /// Timestamps of records read and not yet counted, in offset order, per partition.
    private var pending: [Int32: Deque<(offset: Int64, milliseconds: Int64)>] = [:]
    /// The newest time each partition is through.
    private(set) var through: [Int32: Int64] = [:]
    /// The time last written as a progress record, per partition.
    private var written: [Int32: Int64] = [:]
    /// When each partition's last progress record was taken (a monotonic clock: a wall clock
    /// stepped back would hold records back).
    private var writtenAt: [Int32: ContinuousClock.Instant] = [:]
    /// Partitions read to their end with everything settled at the last ``settled(partition:before:caughtUp:now:)``.
    private var caughtUp: Set<Int32> = []

    /// The least time between two progress records of a partition: four a second, whatever the
    /// traffic.
    static let interval = Duration.milliseconds(250)
    /// How far, in milliseconds, a partition that caught up must be ahead of its last progress
    /// record to be written before ``interval`` is up: the end of a backlog, where milestones
    /// of players who were not referred wait for exactly that record. Live traffic moves a
    /// partition's time by about ``interval`` between two records, never this far.
    static let catchUpJump: Int64 = 1_000

    /// A record of `account-created` was read.
    mutating func read(partition: Int32, offset: Int64, milliseconds: Int64?) {
        guard let milliseconds else { return }
        // Taken out and put back: changed through the dictionary's accessor, the queue would
        // cost a heap-allocated accessor frame per record read.
        var queue = pending.removeValue(forKey: partition) ?? []
        queue.append((offset, milliseconds))
        pending[partition] = queue
    }

    /// Records of `partition` before `settledBefore` are settled; `caughtUp` says the partition
    /// was read to its end and all of it settled, at `now`.
    mutating func settled(partition: Int32, before settledBefore: Int64, caughtUp: Bool, now: Int64) {
        var newest = through[partition] ?? Int64.min
        if var queue = pending.removeValue(forKey: partition) {
            while let first = queue.first, first.offset < settledBefore {
                newest = max(newest, first.milliseconds - Self.lateness)
                queue.removeFirst()
            }
            pending[partition] = queue
        }
        if caughtUp {
            newest = max(newest, now - Self.lateness)
            self.caughtUp.insert(partition)
        } else {
            self.caughtUp.remove(partition)
        }
        if newest > Int64.min { through[partition] = newest }
    }

    /// Forgets a partition (revoked): its next owner writes its progress.
    mutating func remove(partition: Int32) {
        pending[partition] = nil
        through[partition] = nil
        written[partition] = nil
        writtenAt[partition] = nil
        caughtUp.remove(partition)
    }

    /// Progress records to write at `now`: partitions whose time moved since the last one
    /// written, at most one per ``interval``, except a partition that just caught up (see
    /// ``catchUpJump``).
    mutating func takeDue(topic: String, now: ContinuousClock.Instant) -> [RefereeProgress] {
        var due: [RefereeProgress] = []
        for (partition, time) in through.sorted(by: { $0.key < $1.key }) {
            if let last = written[partition] {
                guard time > last else { continue }
                let jumped = caughtUp.contains(partition) && time - last >= Self.catchUpJump
                guard jumped || writtenAt[partition].map({ now - $0 >= Self.interval }) ?? true else { continue }
            }
            written[partition] = time
            writtenAt[partition] = now
            due.append(RefereeProgress(topic: topic, partition: partition, throughMilliseconds: time))
        }
        return due
    }
}
