import Synchronization

/// A consumer's life as one state machine, running → closing → closed, shared by its public
/// API (``KafkaConsumer/close()``, graceful shutdown, cancellation, deinit), its poll thread
/// and its rebalance handler.
///
/// What it decides: whether the poll thread keeps polling, whether a revocation is worth waiting
/// for (not once closing: the caller committed before closing, nobody would complete it), which
/// waiting revocation to complete when closing begins, and who to wake once closed. The
/// decisions are a value (``State``) tested with plain values; the effects (completing a
/// revocation, ringing the poll thread, resuming waiters) happen after the lock is released.
final class KafkaConsumerLifecycle: Sendable {
    /// The decisions, as plain values.
    struct State {
        /// Where the consumer is in its life.
        enum Phase: Equatable {
            /// Polling, delivering, rebalancing.
            case running
            /// Closing: leaving the group, revocations completed at once.
            case closing
            /// The handle is gone.
            case closed
        }

        var phase = Phase.running
        /// The revocation the poll thread is waiting on (only while running).
        var pendingRevocation: KafkaRevocation?
        /// Callers waiting until closed.
        var closeWaiters: [CheckedContinuation<Void, Never>] = []

        /// Closing was asked for.
        ///
        /// - Returns: Whether this started closing (the poll thread must be told), and the
        ///   revocation to complete at once, if one is being waited on.
        mutating func close() -> (started: Bool, completing: KafkaRevocation?) {
            guard self.phase == .running else { return (false, nil) }
            self.phase = .closing
            defer { self.pendingRevocation = nil }
            return (true, self.pendingRevocation)
        }

        /// A revocation is about to be handed to the reader.
        ///
        /// - Returns: Whether the poll thread should wait for it (only while running).
        mutating func revoking(_ revocation: KafkaRevocation) -> Bool {
            guard self.phase == .running else { return false }
            self.pendingRevocation = revocation
            return true
        }

        /// The revocation the poll thread waited on was completed or timed out.
        mutating func revoked() {
            self.pendingRevocation = nil
        }

        /// The poll thread finished: the waiters to resume.
        mutating func closed() -> [CheckedContinuation<Void, Never>] {
            self.phase = .closed
            self.pendingRevocation = nil
            defer { self.closeWaiters = [] }
            return self.closeWaiters
        }

        /// A caller waits until closed; `true` when it is closed already (resume at once).
        mutating func waitUntilClosed(_ waiter: CheckedContinuation<Void, Never>) -> Bool {
            guard self.phase != .closed else { return true }
            self.closeWaiters.append(waiter)
            return false
        }
    }

    private let state = Mutex(State())
    /// Mirrors "not running" for the poll thread's check on every turn, without the lock.
    private let stopping = Atomic<Bool>(false)
    private let wakeup: RDKafkaWakeup

    /// Creates a running lifecycle; `wakeup` is rung when closing begins.
    init(wakeup: RDKafkaWakeup) {
        self.wakeup = wakeup
    }

    /// Whether the poll thread should wind down.
    var isStopRequested: Bool { self.stopping.load(ordering: .acquiring) }

    /// Whether the poll thread has finished.
    var isClosed: Bool { self.state.withLock { $0.phase == .closed } }

    /// Starts closing (idempotent): a revocation being waited on is completed, the poll thread
    /// is rung. Does not wait.
    func close() {
        let (started, completing) = self.state.withLock { $0.close() }
        guard started else { return }
        self.stopping.store(true, ordering: .releasing)
        completing?.complete()
        self.wakeup.signal()
    }

    /// See ``State/revoking(_:)``.
    func revoking(_ revocation: KafkaRevocation) -> Bool {
        self.state.withLock { $0.revoking(revocation) }
    }

    /// See ``State/revoked()``.
    func revoked() {
        self.state.withLock { $0.revoked() }
    }

    /// Called by the poll thread last of all: wakes everyone waiting in ``waitUntilClosed()``.
    func markClosed() {
        self.stopping.store(true, ordering: .releasing)
        for waiter in self.state.withLock({ $0.closed() }) { waiter.resume() }
    }

    /// Suspends (without blocking a thread) until the poll thread finished closing.
    func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if self.state.withLock({ $0.waitUntilClosed(continuation) }) { continuation.resume() }
        }
    }
}
