import NIOCore
import NIOPosix
import Synchronization

/// A value one task sets once and others await: a delivery's result, handed to the referee
/// store's writes of its registration, which run beside the delivery (a `pending` record when
/// it is slow, then how it ended, same key, in that order) without holding the outcome back.
final class OneShot<Value: Sendable>: Sendable {
    /// What a waiter is resumed with: `.some` when the value was set (itself optional),
    /// `.none` when its time ran out first.
    private typealias Wait = Value??

    private enum State {
        case waiting(next: Int, waiters: [Int: CheckedContinuation<Wait, Never>])
        case resolved(Value?)
    }

    private let state = Mutex(State.waiting(next: 0, waiters: [:]))
    /// Where timed waits run out.
    private let timers: any EventLoop

    /// Creates an unresolved value.
    ///
    /// - Parameter timers: The event loop whose timers end timed waits.
    init(timers: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()) {
        self.timers = timers
    }

    /// Sets the value (`nil`: there will be none) and wakes the waiters; later calls are ignored.
    func resolve(_ value: Value?) {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Wait, Never>] in
            guard case .waiting(_, let waiters) = state else { return [] }
            state = .resolved(value)
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: .some(value)) }
    }

    /// The value once it is set (`nil`: there will be none).
    var value: Value? {
        get async { await self.wait(limit: nil) ?? nil }
    }

    /// The value if it is set within `limit` (`.some`, itself `nil` when there will be none);
    /// `.none` when the time ran out first.
    func value(within limit: Duration) async -> Value?? {
        await self.wait(limit: limit)
    }

    private func wait(limit: Duration?) async -> Wait {
        await withCheckedContinuation { (continuation: CheckedContinuation<Wait, Never>) in
            let found = self.state.withLock { state -> Found in
                switch state {
                case .resolved(let value): return .value(value)
                case .waiting(let next, var waiters):
                    waiters[next] = continuation
                    state = .waiting(next: next + 1, waiters: waiters)
                    return .waiter(next)
                }
            }
            switch found {
            case .value(let value): continuation.resume(returning: .some(value))
            case .waiter(let id):
                guard let limit else { return }
                // On an event loop's timer: the waiter cannot be cancelled from outside, and a
                // value set first has removed it by the time this fires (which then does
                // nothing). A task sleeping per wait cost a task, a dispatch timer and a thread
                // wake-up for every `registered` the relay sent.
                self.timers.scheduleTask(in: TimeAmount(limit)) { self.expire(id) }
            }
        }
    }

    /// What a new waiter found: the value already set, or its own key among the waiters.
    private enum Found {
        case value(Value?)
        case waiter(Int)
    }

    private func expire(_ id: Int) {
        let waiter = self.state.withLock { state -> CheckedContinuation<Wait, Never>? in
            guard case .waiting(let next, var waiters) = state, let waiter = waiters.removeValue(forKey: id) else {
                return nil
            }
            state = .waiting(next: next, waiters: waiters)
            return waiter
        }
        waiter?.resume(returning: .none)
    }
}
