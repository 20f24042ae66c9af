import DequeModule
import Kafka
import Synchronization

/// The queue in front of the one task that commits offsets (``RelayPipeline/run()``'s commit
/// loop): requests are served one at a time in arrival order, so a commit computed earlier can
/// never land after a later, higher one, and every caller gets its own answer.
///
/// The loop ends only when ``close()`` is called (after the final commit), never on
/// cancellation, so a relay that is cancelled rather than shut down gracefully still commits
/// what it settled. A request made after closing is answered `false` at once.
final class CommitRequests: Sendable {
    /// One commit to make.
    struct Request: Sendable {
        /// The partitions to commit (all when `nil`).
        var partitions: Set<KafkaTopicPartition>?
        /// Told whether the commit succeeded (or there was nothing to commit); `nil` for the
        /// periodic commit, which nobody waits for.
        var reply: CheckedContinuation<Bool, Never>?
    }

    private struct State {
        var queue = Deque<Request>()
        var waiter: CheckedContinuation<Request?, Never>?
        var closed = false
        /// A periodic commit is queued already: another would commit the same thing.
        var periodicQueued = false
    }

    private let state = Mutex(State())

    /// Commits `partitions` (all when `nil`) through the commit task.
    ///
    /// - Returns: Whether the commit succeeded or there was nothing to commit; `false` once closed.
    func commit(_ partitions: Set<KafkaTopicPartition>?) async -> Bool {
        await withCheckedContinuation { (reply: CheckedContinuation<Bool, Never>) in
            if !self.submit(Request(partitions: partitions, reply: reply)) { reply.resume(returning: false) }
        }
    }

    /// Queues the periodic commit of every partition, unless one is queued already.
    func commitPeriodically() {
        let queued = self.state.withLock { state in
            defer { state.periodicQueued = true }
            return state.periodicQueued
        }
        if !queued, !self.submit(Request(partitions: nil, reply: nil)) {
            self.state.withLock { $0.periodicQueued = false }
        }
    }

    /// The next request, in order; `nil` once closed and served.
    func next() async -> Request? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Request?, Never>) in
            let ready = self.state.withLock { state -> Request?? in
                if let request = state.queue.popFirst() { return .some(request) }
                if state.closed { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Marks a served periodic request done, so the next tick queues another.
    func served(_ request: Request) {
        if request.reply == nil { self.state.withLock { $0.periodicQueued = false } }
    }

    /// Takes no more requests; the loop ends once those queued are served.
    func close() {
        let waiter = self.state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    private func submit(_ request: Request) -> Bool {
        let (accepted, waiter) = self.state.withLock { state -> (Bool, CheckedContinuation<Request?, Never>?) in
            guard !state.closed else { return (false, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (true, waiter)
            }
            state.queue.append(request)
            return (true, nil)
        }
        waiter?.resume(returning: request)
        return accepted
    }
}
