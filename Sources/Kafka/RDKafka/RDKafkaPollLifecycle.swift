import Synchronization

/// The stop/closed handshake between the producer's public API and its poll thread (the
/// consumer's life is ``KafkaConsumerLifecycle``).
final class RDKafkaPollLifecycle: Sendable {
    private struct State {
        var stopRequested = false
        var closed = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let stop = Atomic<Bool>(false)

    /// Checked by the poll thread on every turn.
    var isStopRequested: Bool { stop.load(ordering: .acquiring) }

    /// Asks the poll thread to wind down. Idempotent; does not wait.
    func requestStop() {
        state.withLock { $0.stopRequested = true }
        stop.store(true, ordering: .releasing)
    }

    /// Called by the poll thread last of all: wakes everyone waiting in ``waitUntilClosed()``.
    func markClosed() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Suspends (without blocking a thread) until the poll thread finished closing.
    func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let closed = state.withLock { state in
                if !state.closed { state.waiters.append(continuation) }
                return state.closed
            }
            if closed { continuation.resume() }
        }
    }

    var isClosed: Bool { state.withLock { $0.closed } }
}
