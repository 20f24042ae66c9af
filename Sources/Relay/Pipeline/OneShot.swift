import Synchronization

/// A value one task sets once and others await: a delivery's result, handed to the referee
/// store's write of how its registration ended, which must follow the `pending` write started
/// beside the delivery (same key, in order) without holding the outcome back.
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Value?, Never>])
        case resolved(Value?)
    }

    private let state = Mutex(State.waiting([]))

    /// Creates an unresolved value.
    init() {}

    /// Sets the value (`nil`: there will be none) and wakes the waiters; later calls are ignored.
    func resolve(_ value: Value?) {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Value?, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .resolved(value)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value once resolved.
    var value: Value? {
        get async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let resolved = self.state.withLock { state -> Value?? in
                    switch state {
                    case .resolved(let value): return .some(value)
                    case .waiting(var waiters):
                        waiters.append(continuation)
                        state = .waiting(waiters)
                        return nil
                    }
                }
                if let resolved { continuation.resume(returning: resolved) }
            }
        }
    }
}
