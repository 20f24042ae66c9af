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

    /// The requests not served yet; the commit loop ignores cancellation.
    private let requests = AsyncInbox<Request>(endsOnCancellation: false)
    /// A periodic commit is queued already: another would commit the same thing.
    private let periodicQueued = Mutex(false)

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
        let queued = self.periodicQueued.withLock { queued in
            defer { queued = true }
            return queued
        }
        if !queued, !self.submit(Request(partitions: nil, reply: nil)) {
            self.periodicQueued.withLock { $0 = false }
        }
    }

    /// The next request, in order; `nil` once closed and served.
    func next() async -> Request? {
        await self.requests.next()
    }

    /// Marks a served periodic request done, so the next tick queues another.
    func served(_ request: Request) {
        if request.reply == nil { self.periodicQueued.withLock { $0 = false } }
    }

    /// Whether ``close()`` was called: every commit asked for from now on fails.
    var isClosed: Bool { self.requests.isClosed }

    /// Takes no more requests; the loop ends once those queued are served.
    func close() {
        self.requests.close()
    }

    private func submit(_ request: Request) -> Bool {
        self.requests.send(request)
    }
}
