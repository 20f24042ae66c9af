import Synchronization

/// Waits that end early when the referee store applies a record of an account.
///
/// A `qualified` whose account's registration is pending waits for the store to say how it
/// ended. Polled every 100 ms, it waited 50 ms on average after the answer was already in the
/// store; now the store's listener (``RefereeStore/onApplied(_:)``) wakes it, and the interval
/// covers what a wake cannot (an apply just before the wait registered).
final class AccountWakeups: Sendable {
    /// A registered wait: not suspended yet, or suspended.
    private enum Entry {
        case registered
        case waiting(CheckedContinuation<Void, Never>)
    }

    private struct State {
        var next: UInt64 = 0
        /// The waits of each account, by wait id. A wait's entry is gone once it was woken or
        /// cancelled: a wait that suspends after that resumes at once.
        var byAccount: [String: [UInt64: Entry]] = [:]

        /// Removes the entry of wait `id`, returning it.
        mutating func remove(_ id: UInt64, of accountID: String) -> Entry? {
            guard let entry = self.byAccount[accountID]?.removeValue(forKey: id) else { return nil }
            if self.byAccount[accountID]?.isEmpty == true { self.byAccount[accountID] = nil }
            return entry
        }
    }

    private let state = Mutex(State())

    /// Creates an empty set of waits.
    init() {}

    /// Waits until ``wake(_:)`` names `accountID` or `interval` passes, whichever comes first.
    func wait(for accountID: String, upTo interval: Duration) async {
        let id = self.state.withLock { state -> UInt64 in
            state.next += 1
            state.byAccount[accountID, default: [:]][state.next] = .registered
            return state.next
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: interval) }
            group.addTask { await self.suspend(id, accountID) }
            await group.next()
            group.cancelAll()
        }
        _ = self.state.withLock { $0.remove(id, of: accountID) }
    }

    /// Resumes every wait of `accounts`.
    func wake(_ accounts: [String]) {
        let woken = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.byAccount.isEmpty else { return [] }
            var woken: [CheckedContinuation<Void, Never>] = []
            for account in accounts {
                guard let entries = state.byAccount.removeValue(forKey: account) else { continue }
                for case .waiting(let continuation) in entries.values { woken.append(continuation) }
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    /// Waits registered now (for tests).
    var count: Int { self.state.withLock { $0.byAccount.values.reduce(0) { $0 + $1.count } } }

    private func suspend(_ id: UInt64, _ accountID: String) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let suspended = self.state.withLock { state -> Bool in
                    guard case .registered = state.byAccount[accountID]?[id] else { return false }
                    state.byAccount[accountID]?[id] = .waiting(continuation)
                    return true
                }
                // Woken or cancelled already.
                if !suspended { continuation.resume() }
            }
        } onCancel: {
            if case .waiting(let continuation) = self.state.withLock({ $0.remove(id, of: accountID) }) {
                continuation.resume()
            }
        }
    }
}
