import CRDKafka
import Synchronization

/// Which partitions a consumer has paused at the librdkafka level, and why: because the caller
/// asked (``KafkaConsumer/pause(_:)``) or because the event buffer is full (back-pressure).
///
/// While the buffer is full the poll thread keeps calling `rd_kafka_consumer_poll` (serving
/// rebalances, staying within `max.poll.interval.ms`) with every assigned partition paused, so
/// nothing more is fetched into memory. Caller pauses are tracked apart: back-pressure never
/// resumes a partition the caller paused, and a caller's resume during back-pressure takes
/// effect when back-pressure ends. Partitions assigned during back-pressure are paused too.
///
/// librdkafka 2.0.2 pauses a partition by bumping its version barrier and purging its fetch
/// queue; the next fetch after resume starts after the last record `rd_kafka_consumer_poll`
/// returned. Records already handed out stay in the buffer, none are lost or repeated.
///
/// - Important: The value-type ``State`` decides; the librdkafka calls it asks for are made
///   while the lock is held. They only enqueue operations for librdkafka's threads (never
///   wait), and they must reach librdkafka in the order of the decisions: otherwise a
///   caller's resume on the worker thread could overtake a back-pressure pause made on the
///   poll thread and leave a partition fetching into a full buffer.
final class KafkaConsumerFetchControl: Sendable {
    /// librdkafka calls to make, in this order.
    struct Action: Equatable {
        var pause: [KafkaTopicPartition] = []
        var resume: [KafkaTopicPartition] = []
    }

    /// The decisions, as plain values.
    struct State {
        /// The partitions assigned to this consumer (by the group or manually).
        var assigned: Set<KafkaTopicPartition> = []
        /// Partitions the caller paused.
        var callerPaused: Set<KafkaTopicPartition> = []
        /// Partitions paused because the buffer is full (never caller-paused ones).
        var backPressurePaused: Set<KafkaTopicPartition> = []
        var backPressure = false

        /// The buffer filled up: pause every assigned partition the caller has not paused.
        mutating func beginBackPressure() -> Action {
            guard !backPressure else { return Action() }
            backPressure = true
            backPressurePaused = assigned.subtracting(callerPaused)
            return Action(pause: Self.sorted(backPressurePaused))
        }

        /// There is room again: resume what back-pressure paused.
        mutating func endBackPressure() -> Action {
            guard backPressure else { return Action() }
            backPressure = false
            defer { backPressurePaused = [] }
            return Action(resume: Self.sorted(backPressurePaused.subtracting(callerPaused)))
        }

        /// Partitions were added to the assignment (`replacing`: the assignment is exactly
        /// `partitions` from now on). During back-pressure the added ones are paused at once;
        /// partitions that left the assignment while paused for back-pressure are resumed
        /// (librdkafka stops fetching them anyway), so a later re-assignment fetches them.
        mutating func assigned(_ partitions: [KafkaTopicPartition], replacing: Bool) -> Action {
            var action = Action()
            if replacing {
                let removed = assigned.subtracting(partitions)
                action.resume = Self.sorted(removed.intersection(backPressurePaused))
                backPressurePaused.subtract(removed)
                // Partitions kept keep their pause: pausing again would make librdkafka restart
                // them from the last record delivered, not from the new assignment's offset.
                assigned.subtract(removed)
            }
            let added = Set(partitions).subtracting(assigned)
            assigned.formUnion(partitions)
            if backPressure {
                let paused = added.subtracting(callerPaused)
                backPressurePaused.formUnion(paused)
                action.pause = Self.sorted(paused)
            }
            return action
        }

        /// Partitions left the assignment (after they were unassigned in librdkafka).
        mutating func unassigned(_ partitions: [KafkaTopicPartition]) -> Action {
            let removed = Set(partitions)
            assigned.subtract(removed)
            let resume = removed.intersection(backPressurePaused)
            backPressurePaused.subtract(removed)
            return Action(resume: Self.sorted(resume))
        }

        /// The caller paused `partitions` (librdkafka is asked even if back-pressure already
        /// paused them, so its per-partition errors reach the caller).
        mutating func callerPause(_ partitions: [KafkaTopicPartition]) -> Action {
            callerPaused.formUnion(partitions)
            backPressurePaused.subtract(partitions)
            return Action(pause: partitions)
        }

        /// The caller resumed `partitions`; assigned ones stay paused until back-pressure ends.
        /// Partitions the caller never paused are left alone: librdkafka 2.0.2 answers a resume
        /// of a fetching partition by restarting it from the committed offset, which delivers
        /// the records since then a second time.
        mutating func callerResume(_ partitions: [KafkaTopicPartition]) -> Action {
            let paused = partitions.filter { callerPaused.contains($0) }
            callerPaused.subtract(partitions)
            guard backPressure else { return Action(resume: paused) }
            let held = Set(paused).intersection(assigned)
            backPressurePaused.formUnion(held)
            return Action(resume: paused.filter { !held.contains($0) })
        }

        static func sorted(_ partitions: Set<KafkaTopicPartition>) -> [KafkaTopicPartition] {
            partitions.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
        }
    }

    private let state = Mutex(State())

    /// Whether back-pressure pauses are in effect.
    var isBackPressureActive: Bool { state.withLock { $0.backPressure } }

    /// Partitions currently paused because the buffer is full (for tests and diagnostics).
    var backPressurePaused: Set<KafkaTopicPartition> { state.withLock { $0.backPressurePaused } }

    /// Starts back-pressure (poll thread).
    func beginBackPressure(_ handle: OpaquePointer) {
        _ = update(handle) { $0.beginBackPressure() }
    }

    /// Ends back-pressure (poll thread).
    func endBackPressure(_ handle: OpaquePointer) {
        _ = update(handle) { $0.endBackPressure() }
    }

    /// Records an assignment applied in librdkafka; call right after it.
    func assigned(_ partitions: [KafkaTopicPartition], replacing: Bool, _ handle: OpaquePointer) {
        _ = update(handle) { $0.assigned(partitions, replacing: replacing) }
    }

    /// Records an unassignment applied in librdkafka; call right after it.
    func unassigned(_ partitions: [KafkaTopicPartition], _ handle: OpaquePointer) {
        _ = update(handle) { $0.unassigned(partitions) }
    }

    /// Pauses `partitions` for the caller.
    ///
    /// - Throws: ``KafkaError`` for the request or the first partition librdkafka refused.
    func callerPause(_ partitions: [KafkaTopicPartition], _ handle: OpaquePointer) throws(KafkaError) {
        if let error = update(handle, { $0.callerPause(partitions) }) { throw error }
    }

    /// Resumes `partitions` for the caller (deferred while back-pressure holds them).
    ///
    /// - Throws: ``KafkaError`` for the request or the first partition librdkafka refused.
    func callerResume(_ partitions: [KafkaTopicPartition], _ handle: OpaquePointer) throws(KafkaError) {
        if let error = update(handle, { $0.callerResume(partitions) }) { throw error }
    }

    /// Decides and applies, in order (see the type's note on why under the lock).
    ///
    /// - Returns: the first error librdkafka reported. Only the caller's requests report it:
    ///   back-pressure pauses and resumes of partitions librdkafka no longer knows fail
    ///   harmlessly.
    private func update(_ handle: OpaquePointer, _ transition: (inout State) -> Action) -> KafkaError? {
        state.withLock { state in
            let action = transition(&state)
            let paused = Self.apply(action.pause, pause: true, handle)
            let resumed = Self.apply(action.resume, pause: false, handle)
            return paused ?? resumed
        }
    }

    private static func apply(_ partitions: [KafkaTopicPartition], pause: Bool, _ handle: OpaquePointer) -> KafkaError?
    {
        guard !partitions.isEmpty else { return nil }
        do throws(KafkaError) {
            try RDKafkaTopicPartitionList.with(partitions.map { ($0, Int64(0)) }) { list throws(KafkaError) in
                let err = pause ? rd_kafka_pause_partitions(handle, list) : rd_kafka_resume_partitions(handle, list)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, pause ? "pause" : "resume") }
                if let failed = RDKafkaTopicPartitionList.read(list).first(where: {
                    $0.error != RD_KAFKA_RESP_ERR_NO_ERROR
                }) {
                    throw KafkaError.from(failed.error, "\(pause ? "pause" : "resume") \(failed.topicPartition)")
                }
            }
            return nil
        } catch {
            return error
        }
    }
}
