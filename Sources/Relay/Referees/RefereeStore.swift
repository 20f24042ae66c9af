import Foundation
import Kafka
import Logging
import Synchronization

/// The referee store: account id → the token, server and registration status of every referred
/// account, kept in a compacted topic of the relay's own and in a local copy on disk that each
/// instance restores from that topic. So a restart, a new pod or a rebalance needs no other
/// database, and a milestone that carries no `mmref` finds its account's token.
///
/// Placement: every instance keeps a copy of the whole topic (a global table; docs/DESIGN.md,
/// "Referee store"), read by manual assignment of all its partitions (during a restore, at most
/// ``restoreLimit`` of those behind at once), never committed (the local copy records its own
/// positions).
///
/// Writes go to the topic first; once the broker acknowledged one, lookups answer it at once
/// (read your writes) and it joins the rows the reader applies at its next flush. Read back, it
/// is not applied again when this instance queued it before its reader got there
/// (``RefereeOwnWrites``).
public final class RefereeStore: Sendable {
    /// The referees topic.
    let topic: String
    /// The `account-created` topic, whose progress the store tracks.
    let accountCreatedTopic: String
    /// The local copy's directory.
    public let directory: String
    private let database: RefereeDatabase
    private let producer: KafkaProducer
    private let consumer: KafkaConsumer
    private let logger: Logger
    /// The partitions of the referees topic and of `account-created`, found at start.
    private let layout: Mutex<(referees: [Int32], accountCreated: [Int32])> = Mutex(([], []))
    private let state: Mutex<RefereeFollowState?> = Mutex(nil)
    /// Believed progress per `account-created` partition (Unix milliseconds), mirrored from the
    /// local copy so the milestone path does not read SQLite for it.
    private let progress: Mutex<[Int32: Int64]> = Mutex([:])
    private let restoredSignal = Mutex<[CheckedContinuation<Void, Never>]?>([])
    /// Set by ``close()``: the consumer goes away, so no more end offsets are asked for.
    private let closing = Mutex(false)
    /// Rows to apply at the next flush: records read, and this instance's own writes.
    private let pending = Mutex<[RefereeDatabase.Row]>([])
    /// Records this instance wrote and queued before its reader came to them: its reading
    /// skips them (see ``RefereeOwnWrites``).
    private let ownWrites = Mutex(RefereeOwnWrites())
    /// One write at a time per account (see the record `write`).
    let accountTurns = KeyedTurns()
    /// The positions last saved by a flush (a flush with nothing new writes nothing).
    private let savedPositions = Mutex<[Int32: Int64]>([:])
    /// Told the accounts of every batch applied to the local copy (``onApplied(_:)``).
    private let appliedListener = Mutex<AppliedListener?>(nil)
    /// Signalled each time progress records are believed (``accountCreatedThrough()`` may have
    /// moved): the referee gate waits on it.
    let progressBelieved = Wakeup()
    /// Ends the flush timer's wait early: a progress record was read that needs a barrier, or
    /// this instance's own writes filled a batch.
    private let flushSoon = Wakeup()
    /// Why the flush timer stopped the reading (``follow()`` throws it): a child task's error
    /// is not seen by the reading loop.
    private let timerFailure = Mutex<(any Error)?>(nil)
    /// No end-offset query before this instant (the last one failed).
    private let barrierRetry = Mutex(ContinuousClock.now)

    /// Creates the store over an open local copy; ``run()`` restores and follows it.
    init(
        topic: String, accountCreatedTopic: String, directory: String, database: RefereeDatabase,
        producer: KafkaProducer, consumer: KafkaConsumer, logger: Logger
    ) {
        self.topic = topic
        self.directory = directory
        self.accountCreatedTopic = accountCreatedTopic
        self.database = database
        self.producer = producer
        self.consumer = consumer
        self.logger = logger
    }

    // MARK: Reading

    /// What the store knows about `accountID` (an account its filter has never seen is answered
    /// without reading the local copy: see ``AccountFilter``).
    public func lookup(_ accountID: String) async -> RefereeRecord? {
        do {
            return try database.lookup(accountID)
        } catch {
            logger.error("referee store lookup failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Whether the store may hold `accountID` (`false`: it certainly does not), from memory.
    public func mayKnow(_ accountID: String) -> Bool { database.mayContain(accountID) }

    /// Whether every `account-created` partition is known to be written to the store up to
    /// `milliseconds`: an account the store does not know by then was not referred there.
    public func accountCreatedIsThrough(_ milliseconds: Int64) -> Bool {
        let partitions = layout.withLock { $0.accountCreated }
        let known = progress.withLock { $0 }
        return !partitions.isEmpty && partitions.allSatisfy { (known[$0] ?? Int64.min) >= milliseconds }
    }

    /// The time every `account-created` partition is known to be written to the store up to
    /// (the least of theirs); `nil` while some partition has no progress yet.
    public func accountCreatedThrough() -> Int64? {
        let partitions = layout.withLock { $0.accountCreated }
        let known = progress.withLock { $0 }
        guard !partitions.isEmpty else { return nil }
        var least = Int64.max
        for partition in partitions {
            guard let time = known[partition] else { return nil }
            least = min(least, time)
        }
        return least
    }

    /// Waits until the local copy holds what the topic held at start.
    public func waitUntilRestored() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = restoredSignal.withLock { waiters -> Bool in
                guard waiters != nil else { return true }
                waiters!.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Accounts in the local copy.
    public func count() async -> Int { (try? await database.count()) ?? 0 }

    /// Calls `listener` with the account ids of every batch applied to the local copy from
    /// now on, after they are applied, and of each of this instance's own writes as soon as
    /// lookups answer it (then again when its batch is applied).
    public func onApplied(_ listener: @escaping @Sendable ([String]) -> Void) {
        let box = AppliedListener(call: listener)
        appliedListener.withLock { $0 = box }
    }

    private func applied(_ accounts: [String]) {
        guard !accounts.isEmpty, let listener = appliedListener.withLock({ $0 }) else { return }
        listener.call(accounts)
    }

    // MARK: Writing

    /// Writes `record` to the topic; once the broker acknowledged it, lookups answer it, and the
    /// reader's next flush applies it to the local copy with what it read (read your writes).
    ///
    /// - Throws: The producer's error when the record could not be written.
    public func write(_ record: RefereeRecord) async throws {
        // One account's records go one at a time (``KeyedTurns``): a retried request must not
        // land after the account's next record.
        let report = try await self.accountTurns.withTurn(record.accountID) {
            try await self.producer.send(
                KafkaProducerRecord(topic: self.topic, key: Array(record.accountID.utf8), value: record.encoded()))
        }
        let row = RefereeDatabase.Row(record: record, partition: report.partition, offset: report.offset)
        let full = pending.withLock { pending -> Bool in
            // Held for lookups, then queued for the next flush, whose transaction takes it:
            // held first, so the commit that applies it always finds it held.
            database.hold(row)
            pending.append(row)
            // The reader skips the record when it comes to it, as this row is queued ahead of
            // it: a flush that saves a position past it applies the row in the same transaction
            // or an earlier one. Read meanwhile, the reader queued it itself (applied twice, the
            // second changes nothing), and it is not remembered: its entry would never be taken.
            let next = state.withLock { $0?.positions[report.partition] }
            if let next, next <= report.offset {
                ownWrites.withLock { $0.queued(partition: report.partition, offset: report.offset) }
            }
            return pending.count >= Self.flushRows
        }
        if full { flushSoon.signal() }
        applied([record.accountID])
    }

    /// Rows that make the reader flush at once rather than at its timer's next turn.
    static let flushRows = 1_000

    /// Writes how far an `account-created` partition is in the store.
    ///
    /// - Throws: The producer's error when the record could not be written.
    public func write(_ marker: RefereeProgress) async throws {
        let value = try JSONEncoder().encode(marker)
        _ = try await producer.send(
            KafkaProducerRecord(
                topic: topic, key: Array(marker.key.utf8), value: Array(value),
                headers: [KafkaHeader(key: RefereeProgress.kindHeader, value: Array("progress".utf8))]))
    }

    // MARK: Following the topic

    /// Finds the topics' partitions and where the local copy stopped, assigns the partitions of
    /// the referees topic to read first from there (every one caught up, and at most
    /// ``restoreLimit`` that are behind).
    ///
    /// - Throws: ``RefereeStoreError`` naming a missing topic; Kafka errors.
    public func start() async throws {
        let referees = try await partitions(of: topic)
        let accountCreated = try await partitions(of: accountCreatedTopic)
        layout.withLock { $0 = (referees, accountCreated) }
        var stored = try database.positions()
        var marks: [Int32: KafkaWatermarks] = [:]
        for partition in referees {
            marks[partition] = try await consumer.watermarks(topic: topic, partition: partition)
        }
        // A copy that read past a partition's end belongs to another incarnation of the topic
        // (recreated, or another cluster behind the same name): its accounts cannot be trusted.
        if stored.contains(where: { $0.value > (marks[$0.key]?.high ?? 0) })
            || stored.keys.contains(where: { marks[$0] == nil })
        {
            logger.warning(
                "referee store: the local copy does not match the topic (recreated?); restoring it from the beginning",
                metadata: ["topic": "\(topic)"])
            try await database.reset()
            stored = [:]
        }
        var target: [Int32: Int64] = [:]
        var start: [Int32: Int64] = [:]
        for partition in referees {
            let partitionMarks = marks[partition]!
            target[partition] = partitionMarks.high
            start[partition] = max(stored[partition] ?? partitionMarks.low, partitionMarks.low)
        }
        let known = try database.progress(of: accountCreatedTopic)
        progress.withLock { $0 = known }
        let behind = target.reduce(0) { $0 + max(0, $1.value - (start[$1.key] ?? 0)) }
        let accounts = await count()
        // Sized for what the copy holds and everything left to read (an upper bound: progress
        // records and older versions of accounts count too).
        let filterBytes = try await database.loadFilter(capacity: Int(Int64(accounts) + behind))
        let follow = RefereeFollowState(positions: start, target: target, restoreLimit: Self.restoreLimit)
        state.withLock { $0 = follow }
        if follow.restored { markRestored() }
        try await assign(follow)
        logger.info(
            "referee store starting",
            metadata: [
                "topic": "\(topic)", "partitions": "\(referees.count)", "accounts": "\(accounts)",
                "behind": "\(behind)", "account_filter_bytes": "\(filterBytes)",
            ])
    }

    /// Reads the topic into the local copy until the consumer closes. Records, and this
    /// instance's own writes, are applied in batches (one transaction each): by the reader when
    /// 1,000 are waiting, else every 50 ms.
    public func follow() async throws {
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    // A progress record read is applied at once: milestones wait for it.
                    await self.flushSoon.wait(upTo: .milliseconds(50))
                    if Task.isCancelled { return }
                    do {
                        try await self.flush(started: started)
                    } catch {
                        // Closing: the consumer refuses the end-offset query, or the flush was
                        // cancelled and gave its batch back; what was read is applied by the
                        // last flush. Otherwise the store stops (the relay with it) rather than
                        // go on without its timer: progress records would wait for 1,000 rows.
                        if self.closing.withLock({ $0 }) || Task.isCancelled { return }
                        self.timerFailure.withLock { $0 = error }
                        await self.consumer.close()
                        return
                    }
                }
            }
            let decoder = JSONDecoder()
            for try await event in consumer.events {
                guard case .message(let message) = event else { continue }
                let (full, widened) = pending.withLock { pending -> (Bool, RefereeFollowState?) in
                    // The state after a read that started partitions' restores: to assign.
                    let widened = state.withLock { state -> RefereeFollowState? in
                        let started = state?.read(partition: message.partition, offset: message.offset) ?? []
                        return started.isEmpty ? nil : state
                    }
                    if message.headers.contains(where: { $0.key == RefereeProgress.kindHeader }) {
                        if let marker = try? decoder.decode(RefereeProgress.self, from: Data(message.value)),
                            marker.topic == accountCreatedTopic
                        {
                            // One flush per barrier: records read while one is being set
                            // wait for the timer's next flush (at most 50 ms).
                            let needsFlush = state.withLock { state -> Bool in
                                let waiting = state?.needsBarrier ?? false
                                state?.readProgress(marker)
                                return !waiting && (state?.needsBarrier ?? false)
                            }
                            if needsFlush { flushSoon.signal() }
                        }
                    } else if ownWrites.withLock({
                        $0.takeQueued(partition: message.partition, offset: message.offset)
                    }) {
                        // Written by this instance and queued by its writer already: the same
                        // row again. The flush that applies it tells the listener its account,
                        // as for a row read: a milestone that joined the referee gate just after
                        // the writer's own notice (its filter check came first) is released
                        // then, not a progress round later.
                    } else if let record = try? decoder.decode(RefereeRecord.self, from: Data(message.value)) {
                        pending.append(
                            RefereeDatabase.Row(record: record, partition: message.partition, offset: message.offset))
                    } else {
                        logger.warning(
                            "referee store: unreadable record skipped",
                            metadata: ["partition": "\(message.partition)", "offset": "\(message.offset)"])
                    }
                    return (pending.count >= Self.flushRows, widened)
                }
                // A partition reached its restore target: the next one that is behind starts.
                if let widened {
                    do {
                        try await assign(widened)
                    } catch {
                        // Closing (or closed by the failing timer, whose error is thrown
                        // below): the consumer refuses the assignment; nothing more is read.
                        if closing.withLock({ $0 }) || timerFailure.withLock({ $0 != nil }) { break }
                        throw error
                    }
                }
                if full { try await flush(started: started) }
            }
            group.cancelAll()
        }
        if let failure = self.timerFailure.withLock({ $0 }) { throw failure }
        try await flush(started: started)
    }

    /// Partitions of the topic restored at once (see ``RefereeFollowState/notStarted``): 32
    /// keep a restore fed while librdkafka's prefetch stays within about 64 MiB (a 1 MiB queue
    /// and a 1 MiB fetch in flight each).
    static let restoreLimit = 32

    /// Assigns the partitions `follow` reads now, each from its next offset. Records of them
    /// already buffered may come again: applying a record twice changes nothing.
    private func assign(_ follow: RefereeFollowState) async throws {
        try await consumer.assign(
            Dictionary(
                uniqueKeysWithValues: follow.reading.map {
                    (KafkaTopicPartition(topic: topic, partition: $0), follow.positions[$0] ?? KafkaOffset.beginning)
                }))
    }

    /// Stops following: closes the store's consumer.
    public func close() async {
        closing.withLock { $0 = true }
        await consumer.close()
    }

    /// Applies what was read since the last flush, and the progress records now believed.
    /// Flushes overlap (the timer's, and the reader's when 1,000 rows wait); each takes its
    /// batch on the copy's writer just before its transaction, so they commit in the order they
    /// took, and rows only replace older positions, positions and progress only grow.
    private func flush(started: ContinuousClock.Instant) async throws {
        if !closing.withLock({ $0 }), let asked = state.withLock({ $0?.needsBarrier == true ? $0?.progressRead : nil }),
            ContinuousClock.now >= barrierRetry.withLock({ $0 })
        {
            do {
                // One request per leader for every partition (not one round trip each): the
                // barrier's wait is the store's share of a milestone's.
                let partitions = layout.withLock { $0.referees }.map {
                    KafkaTopicPartition(topic: topic, partition: $0)
                }
                let offsets = try await consumer.endOffsets(of: partitions)
                let ends = Dictionary(uniqueKeysWithValues: offsets.map { ($0.key.partition, $0.value) })
                state.withLock { $0?.setBarrier(ends, askedAfter: asked) }
            } catch {
                // Closed meanwhile (a graceful stop): no barrier, and what was read is still
                // applied below. Any flush may meet this, not only the timer's (bench row 5 in
                // CI mode stopped on it from the reader's flush of a full batch). Otherwise a
                // leader moving or a broker restarting (librdkafka 2.0.2 does not retry a
                // ListOffsets answered NOT_LEADER): no barrier this time, the progress records
                // wait, and the query is asked again a second later. It used to stop the relay.
                if !closing.withLock({ $0 }) {
                    barrierRetry.withLock { $0 = ContinuousClock.now + .seconds(1) }
                    logger.warning(
                        "referee store: end offsets not answered; progress waits",
                        metadata: ["topic": "\(topic)", "error": "\(error)"])
                }
            }
        }
        // Every 50 ms per instance: an idle store must not write a transaction each time.
        let due =
            pending.withLock { !$0.isEmpty }
            || state.withLock { state in
                guard let state else { return false }
                return state.hasConfirmable || state.positions != savedPositions.withLock { $0 }
            }
        // Taken on the copy's writer, just before the transaction (see
        // `RefereeDatabase.apply(taking:givingBack:)`), rows and positions together: the
        // positions saved are those of the rows applied, and no later flush's positions commit
        // before this flush's rows.
        let (rows, confirmed, restored): ([RefereeDatabase.Row], [RefereeProgress], Bool)
        if due {
            (rows, confirmed, restored) = try await database.apply { [self] in
                self.pending.withLock { pending in
                    let rows = pending
                    pending = []
                    let (positions, confirmed, restored) = self.state.withLock {
                        state -> ([Int32: Int64], [RefereeProgress], Bool) in
                        (state?.positions ?? [:], state?.takeConfirmed() ?? [], state?.restored ?? false)
                    }
                    self.savedPositions.withLock { $0 = positions }
                    return (
                        RefereeDatabase.Batch(rows: rows, progress: confirmed, positions: positions),
                        (rows, confirmed, restored)
                    )
                }
            } givingBack: { [self] batch, _ in
                // Rolled back (the timer's flush cancelled at shutdown, a disk error): the rows
                // go back to the front and the progress is believed again, for the next flush
                // to save, and that flush writes the positions again.
                self.pending.withLock { $0.insert(contentsOf: batch.rows, at: 0) }
                self.state.withLock { $0?.confirmAgain(batch.progress) }
                self.savedPositions.withLock { $0 = [:] }
            }
            applied(rows.map(\.record.accountID))
        } else {
            (rows, confirmed, restored) = ([], [], state.withLock { $0?.restored ?? false })
        }
        if !confirmed.isEmpty {
            progress.withLock { progress in
                for marker in confirmed {
                    progress[marker.partition] = max(
                        progress[marker.partition] ?? Int64.min, marker.throughMilliseconds)
                }
            }
            progressBelieved.signal()
        }
        if restored, restoredSignal.withLock({ $0 != nil }) {
            let accounts = await count()
            logger.info(
                "referee store restored",
                metadata: ["accounts": "\(accounts)", "seconds": "\(ContinuousClock.now - started)"])
            markRestored()
        }
    }

    /// Releases everyone waiting for the restore (it completed, or following failed and the
    /// relay is stopping).
    func markRestored() {
        let waiters = restoredSignal.withLock { waiters in
            defer { waiters = nil }
            return waiters ?? []
        }
        for waiter in waiters { waiter.resume() }
    }

    private func partitions(of name: String) async throws -> [Int32] {
        let found: [KafkaTopicPartition]
        do {
            found = try await consumer.partitions(of: name)
        } catch {
            if error.code == .unknownTopicOrPartition { throw RefereeStoreError.missingTopic(name) }
            throw error
        }
        return found.map(\.partition)
    }
}

/// Why the referee store cannot start.
public enum RefereeStoreError: Error, CustomStringConvertible, Sendable {
    /// A topic it needs does not exist.
    case missingTopic(String)

    public var description: String {
        switch self {
        case .missingTopic(let name):
            "the referee store's topic \(name) does not exist (create it compacted, or set RELAY_TOPIC_REFEREES / kafka.topics.referees)"
        }
    }
}

/// The listener of ``RefereeStore/onApplied(_:)`` in a class of its own. Kept as a bare closure
/// in the generic `Mutex`, every read (`withLock { $0 }`) wrapped it in one more reabstraction
/// thunk that stayed in the lock: after a cold backlog's 60,000 store writes, releasing the
/// chain of 313,000 thunks at shutdown overflowed the stack (a segmentation fault, bench row 5).
final class AppliedListener: Sendable {
    let call: @Sendable ([String]) -> Void

    init(call: @escaping @Sendable ([String]) -> Void) {
        self.call = call
    }
}
