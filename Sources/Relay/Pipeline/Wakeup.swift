import Synchronization

/// A signal one task waits for, with a timeout: ``signal()`` ends the current wait, or the next
/// one at once when nobody waits (signals before a wait are kept, as one).
///
/// For loops that used to wake only on a timer (the referee gate, the store's flush): the timer
/// stays as a bound, the signal says "there is something to do now".
final class Wakeup: Sendable {
    private enum State {
        case idle
        /// Signalled with nobody waiting: the next wait returns at once.
        case signalled
        /// One task waits, not suspended yet.
        case registered
        /// One task is suspended.
        case waiting(CheckedContinuation<Void, Never>)
    }

    private let state = Mutex(State.idle)

    /// Creates a wake-up that is not signalled.
    init() {}

    /// Ends the wait in progress, or the next one.
    func signal() {
        let continuation = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch state {
            case .idle, .signalled, .registered:
                state = .signalled
                return nil
            case .waiting(let continuation):
                state = .idle
                return continuation
            }
        }
        continuation?.resume()
    }

    /// Waits until ``signal()`` or `interval` passes, whichever comes first. One task at a time.
    ///
    /// - Returns: Whether it was signalled.
    @discardableResult
    func wait(upTo interval: Duration) async -> Bool {
        let signalled = self.state.withLock { state -> Bool in
            switch state {
            case .signalled:
                state = .idle
                return true
            case .idle:
                state = .registered
                return false
            case .registered, .waiting:
                // A second waiter would take the first one's place and leave it hanging.
                preconditionFailure("two tasks wait for one Wakeup")
            }
        }
        if signalled { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await Task.sleep(for: interval)
                return false
            }
            group.addTask {
                await self.suspend()
                return true
            }
            let first = await group.next() ?? false
            group.cancelAll()
            // The other child's answer does not matter; what the state says after both does.
            while await group.next() != nil {}
            return self.state.withLock { state -> Bool in
                defer { state = .idle }
                if case .signalled = state { return true }
                return first && !Task.isCancelled
            }
        }
    }

    private func suspend() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let suspended = self.state.withLock { state -> Bool in
                    guard case .registered = state else { return false }
                    state = .waiting(continuation)
                    return true
                }
                // Signalled (or timed out and cancelled) before suspending.
                if !suspended { continuation.resume() }
            }
        } onCancel: {
            let continuation = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard case .waiting(let continuation) = state else {
                    if case .registered = state { state = .idle }
                    return nil
                }
                state = .idle
                return continuation
            }
            continuation?.resume()
        }
    }
}
