import Synchronization

/// The stop/closed handshake between a client's public API and its poll thread.
final class RDKafkaPollLifecycle: Sendable {
    private struct State {
        var stopRequested = false
        var closed = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let stop = Atomic<Bool>(false)
    /// Rung on a stop request, so a sleeping poll thread notices at once.
    private let wakeup: RDKafkaWakeup?

    /// Creates the handshake; `wakeup` is the poll thread's doorbell, if it sleeps on one.
    init(wakeup: RDKafkaWakeup? = nil) {
        self.wakeup = wakeup
    }

    /// Checked by the poll thread on every turn.
    var isStopRequested: Bool { stop.load(ordering: .acquiring) }

    /// Asks the poll thread to wind down. Idempotent; does not wait.
    func requestStop() {
        state.withLock { $0.stopRequested = true }
        stop.store(true, ordering: .releasing)
        wakeup?.signal()
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
