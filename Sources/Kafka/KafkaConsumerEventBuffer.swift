import Synchronization

/// The bounded hand-off between a consumer's poll thread and the async code reading
/// ``KafkaConsumer/events``.
///
/// Records count against ``capacity``. When it is reached the poll thread pauses fetching
/// (``KafkaConsumerFetchControl``) but keeps polling, until the reader has taken half of them
/// (``shouldHoldFetching(holding:)``). Records `rd_kafka_consumer_poll` still returns while
/// fetching is paused are accepted beyond capacity: dropping them would lose them (librdkafka
/// resumes after the last record it handed out). The overshoot is bounded by what librdkafka
/// had already fetched for the partitions (`queued.max.messages.kbytes`); with 2.0.2 it is
/// none, as pausing purges the partition's pre-fetched records (version barrier). So memory
/// stays bounded however slow the reader is. Rebalance events are always accepted. The state
/// is a value-type machine inside a `Mutex`; continuations are resumed after the lock is
/// released.
final class KafkaConsumerEventBuffer: Sendable {
    let capacity: Int
    private let state: Mutex<State>

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.state = Mutex(State())
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
        /// Once closing, revocations are completed at once: the caller committed before `close()`.
        var closing = false
        /// The revocation the poll thread is waiting on, completed at once if closing begins.
        var pendingRevocation: KafkaRevocation?

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

    /// Whether the poll thread should keep fetching paused (back-pressure): from when the
    /// records reach ``capacity`` until the reader has taken half of them.
    ///
    /// - Parameter holding: whether fetching is paused now.
    func shouldHoldFetching(holding: Bool) -> Bool {
        state.withLock { state in
            if state.finished { return false }
            return holding ? state.messageCount > capacity / 2 : state.messageCount >= capacity
        }
    }

    /// Hands an event to the reader (records polled while fetching is paused may exceed capacity).
    func push(_ event: KafkaConsumerEvent) {
        let waiter = state.withLock { $0.enqueue(event) }
        waiter?.resume(returning: event)
    }

    /// Drops buffered records of `partitions`, then delivers the revocation event ahead of the
    /// records still buffered (a slow reader must see it well within the revocation timeout)
    /// but behind any rebalance event still buffered.
    ///
    /// - Returns: whether the caller should wait for the revocation to complete (not when
    ///   closing or finished: nobody would complete it).
    func revoke(_ revocation: KafkaRevocation) -> Bool {
        let (waiter, shouldWait) = state.withLock { state in
            state.drop(Set(revocation.partitions))
            let shouldWait = !state.closing && !state.finished
            state.pendingRevocation = shouldWait ? revocation : nil
            return (state.enqueueAheadOfRecords(.revoked(revocation)), shouldWait)
        }
        waiter?.resume(returning: .revoked(revocation))
        return shouldWait
    }

    /// Drops buffered records of `partitions` (after a seek).
    func drop(_ partitions: [KafkaTopicPartition]) {
        state.withLock { $0.drop(Set(partitions)) }
    }

    /// Marks the consumer as closing: revocations from now on complete immediately, and one
    /// the poll thread is waiting on is completed now.
    func beginClosing() {
        let pending = state.withLock { state in
            state.closing = true
            defer { state.pendingRevocation = nil }
            return state.pendingRevocation
        }
        pending?.complete()
    }

    var isClosing: Bool { state.withLock { $0.closing } }

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
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<KafkaConsumerEvent?, any Error>) in
                enum Action {
                    case resume(KafkaConsumerEvent?)
                    case fail(any Error)
                    case wait
                }
                let action = state.withLock { state -> Action in
                    if let event = state.popFirst() { return .resume(event) }
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
