import Synchronization

/// The bounded hand-off between a consumer's poll thread and the async code reading
/// ``KafkaConsumer/events``.
///
/// Records count against ``capacity``: the poll thread takes only as many records from
/// librdkafka's partition queues as there is ``room()`` for, so what is not taken stays in
/// librdkafka, which stops fetching a partition once its prefetch limit is reached. When the
/// buffer is full the poll thread sleeps until the reader has taken half of it (the reader
/// rings `onRoom` once, not once per record). Records that do not come from a partition queue
/// (a partition not split, see ``RDKafkaPartitionQueues``) are accepted beyond capacity:
/// dropping them would lose them. So memory stays bounded however slow the reader is.
/// Rebalance events are always accepted. The state is a value-type machine inside a `Mutex`;
/// continuations are resumed after the lock is released.
final class KafkaConsumerEventBuffer: Sendable {
    let capacity: Int
    private let state: Mutex<State>
    /// Rung (outside the lock) when the reader made room after the poll thread found none.
    private let onRoom: @Sendable () -> Void

    init(capacity: Int, onRoom: @escaping @Sendable () -> Void = {}) {
        self.capacity = max(1, capacity)
        self.state = Mutex(State())
        self.onRoom = onRoom
    }

    struct State {
        var queue: [KafkaConsumerEvent] = []
        var head = 0
        var messageCount = 0
        /// The most records ever buffered at once.
        var peakMessageCount = 0
        var waiter: CheckedContinuation<KafkaConsumerEvent?, any Error>?
        var finished = false
        var failure: KafkaError?
        /// The poll thread found no room and waits for the reader to take half.
        var waitingForRoom = false

        mutating func popFirst() -> KafkaConsumerEvent? {
            guard head < queue.count else { return nil }
            let event = queue[head]
            head += 1
            if head >= 256 && head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
            if case .message = event { messageCount -= 1 }
            return event
        }

        /// Enqueues `event`, or returns the waiting reader's continuation to resume with it.
        mutating func enqueue(_ event: KafkaConsumerEvent) -> CheckedContinuation<KafkaConsumerEvent?, any Error>? {
            guard !finished else { return nil }
            if let waiter {
                self.waiter = nil
                return waiter
            }
            queue.append(event)
            if case .message = event {
                messageCount += 1
                peakMessageCount = max(peakMessageCount, messageCount)
            }
            return nil
        }

        /// Enqueues a rebalance event ahead of the buffered records, but behind the last
        /// rebalance event still buffered (rebalance events stay in the order they happened),
        /// or returns the waiting reader's continuation to resume with it. Only a rebalance
        /// event moves, so every partition's records keep their order.
        mutating func enqueueAheadOfRecords(
            _ event: KafkaConsumerEvent
        ) -> CheckedContinuation<KafkaConsumerEvent?, any Error>? {
            guard !finished else { return nil }
            if let waiter {
                self.waiter = nil
                return waiter
            }
            // Just past the last buffered rebalance event, or the head if there is none.
            let target =
                queue[head...].lastIndex { event in
                    if case .message = event { return false }
                    return true
                }.map { $0 + 1 } ?? head
            queue.insert(event, at: target)
            return nil
        }

        /// Pops the head for the reader; `ring` is set when the poll thread waits for room and
        /// half of the buffer is free now.
        mutating func popForReader(capacity: Int, ring: inout Bool) -> KafkaConsumerEvent? {
            guard let event = popFirst() else { return nil }
            if waitingForRoom, messageCount <= capacity / 2 {
                waitingForRoom = false
                ring = true
            }
            return event
        }

        mutating func drop(_ partitions: Set<KafkaTopicPartition>) {
            let kept = queue[head...].filter { event in
                if case .message(let message) = event { return !partitions.contains(message.topicPartition) }
                return true
            }
            queue = Array(kept)
            head = 0
            messageCount = queue.reduce(0) { count, event in
                if case .message = event { return count + 1 }
                return count
            }
        }
    }

    // MARK: Poll thread side

    /// How many records the poll thread may hand over now. When there is no room, the reader
    /// rings `onRoom` once it has taken half of the buffer.
    func room() -> Int {
        state.withLock { state in
            if state.finished { return 0 }
            let room = capacity - state.messageCount
            if room <= 0 { state.waitingForRoom = true }
            return max(0, room)
        }
    }

    /// Hands an event to the reader (beyond capacity if need be: see the type's note).
    func push(_ event: KafkaConsumerEvent) {
        let waiter = state.withLock { $0.enqueue(event) }
        waiter?.resume(returning: event)
    }

    /// Hands records to the reader in one go (the first straight to a waiting reader).
    func push(_ events: [KafkaConsumerEvent]) {
        guard let first = events.first else { return }
        let waiter = state.withLock { state in
            let waiter = state.enqueue(first)
            for event in events.dropFirst() { _ = state.enqueue(event) }
            return waiter
        }
        waiter?.resume(returning: first)
    }

    /// Drops buffered records of `partitions`, then delivers the revocation event ahead of the
    /// records still buffered (a slow reader must see it well within the revocation timeout)
    /// but behind any rebalance event still buffered.
    ///
    /// - Returns: whether the event was handed over (not once finished: nobody reads any more).
    func revoke(_ revocation: KafkaRevocation) -> Bool {
        let (waiter, delivered) = state.withLock { state in
            state.drop(Set(revocation.partitions))
            return (state.enqueueAheadOfRecords(.revoked(revocation)), !state.finished)
        }
        waiter?.resume(returning: .revoked(revocation))
        return delivered
    }

    /// Drops buffered records of `partitions` (after a seek).
    func drop(_ partitions: [KafkaTopicPartition]) {
        state.withLock { $0.drop(Set(partitions)) }
    }

    /// Records currently buffered (for tests and diagnostics).
    var bufferedMessageCount: Int { state.withLock { $0.messageCount } }

    /// The most records ever buffered at once (for tests and diagnostics).
    var peakBufferedMessageCount: Int { state.withLock { $0.peakMessageCount } }

    /// Ends the sequence: buffered events are discarded; the reader gets `nil` or `failure`.
    func finish(failure: KafkaError? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<KafkaConsumerEvent?, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = failure
            state.queue = []
            state.head = 0
            state.messageCount = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        if let failure { waiter?.resume(throwing: failure) } else { waiter?.resume(returning: nil) }
    }

    // MARK: Reader side

    /// The next event, `nil` once finished.
    ///
    /// - Throws: the consumer's fatal ``KafkaError``, or `CancellationError` when cancelled.
    func next() async throws -> KafkaConsumerEvent? {
        // Fast path: a buffered event is returned without suspending the task (a continuation
        // resumed at once still sends the task through its executor, once per record).
        var ring = false
        let buffered = state.withLock { $0.popForReader(capacity: capacity, ring: &ring) }
        if ring { onRoom() }
        if let buffered { return buffered }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<KafkaConsumerEvent?, any Error>) in
                enum Action {
                    case resume(KafkaConsumerEvent?)
                    case fail(any Error)
                    case wait
                }
                var ring = false
                let action = state.withLock { state -> Action in
                    if let event = state.popForReader(capacity: capacity, ring: &ring) { return .resume(event) }
                    if state.finished {
                        if let failure = state.failure { return .fail(failure) }
                        return .resume(nil)
                    }
                    if Task.isCancelled { return .fail(CancellationError()) }
                    if state.waiter != nil {
                        return .fail(KafkaError(code: .state, reason: "KafkaConsumer.events supports one reader"))
                    }
                    state.waiter = continuation
                    return .wait
                }
                if ring { onRoom() }
                switch action {
                case .resume(let event):
                    continuation.resume(returning: event)
                case .fail(let error):
                    continuation.resume(throwing: error)
                case .wait:
                    break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
