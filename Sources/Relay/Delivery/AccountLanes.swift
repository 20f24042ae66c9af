import ReferralKit
import Synchronization

/// One lane per account: at most one delivery holds an account at a time, and among those waiting
/// for it a `registered` goes before any `qualified` (or `reversed`), FIFO within each kind.
///
/// MMOLove refuses a `qualified` (422) until its `registered` has landed, so a `qualified` must
/// never overtake its account's `registered` inside this process. The two come from different
/// topics and partitions, so nothing else orders them.
///
/// Only busy accounts have an entry: releasing an account nobody waits for removes it, so memory
/// follows the deliveries in flight, not the millions of accounts seen.
///
/// - Important: Every successful ``acquire(_:kind:)`` must be balanced by exactly one
///   ``release(_:)``. A waiter whose task is cancelled is removed and throws `CancellationError`.
public final class AccountLanes: Sendable {
    /// A task waiting for an account.
    private struct Waiter {
        var id: UInt64
        var kind: ReferralEvent.Kind
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// A busy account: its holder is implicit, the waiters are ordered (registered first).
    private struct Lane {
        var waiters: [Waiter] = []

        mutating func enqueue(_ waiter: Waiter) {
            if waiter.kind == .registered, let index = self.waiters.firstIndex(where: { $0.kind != .registered }) {
                self.waiters.insert(waiter, at: index)
            } else {
                self.waiters.append(waiter)
            }
        }
    }

    private struct State {
        var lanes: [String: Lane] = [:]
        var nextWaiterID: UInt64 = 0
    }

    private enum AcquireAction {
        case proceed
        case wait
        case cancelled
    }

    private let state = Mutex(State())

    /// Creates lanes with no busy account.
    public init() {}

    /// Waits until `account` is free for a delivery of `kind`, then holds it.
    ///
    /// - Parameters:
    ///   - account: The account id.
    ///   - kind: The event kind; a `registered` is served before waiting events of other kinds.
    /// - Throws: `CancellationError` when the task is cancelled before the account was handed
    ///   over (the account is then not held).
    public func acquire(_ account: String, kind: ReferralEvent.Kind) async throws {
        try Task.checkCancellation()
        let id = self.state.withLock { state in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let action = self.state.withLock { state -> AcquireAction in
                    guard var lane = state.lanes[account] else {
                        state.lanes[account] = Lane()
                        return .proceed
                    }
                    // Checked under the lock: a cancellation handler that ran before this point
                    // found no waiter to remove, so the waiter must not be registered at all.
                    if Task.isCancelled { return .cancelled }
                    lane.enqueue(Waiter(id: id, kind: kind, continuation: continuation))
                    state.lanes[account] = lane
                    return .wait
                }
                switch action {
                case .proceed: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let continuation = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard var lane = state.lanes[account],
                    let index = lane.waiters.firstIndex(where: { $0.id == id })
                else { return nil }
                let waiter = lane.waiters.remove(at: index)
                state.lanes[account] = lane
                return waiter.continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Hands `account` to its next waiter, or frees it (and forgets it) when nobody waits.
    ///
    /// - Parameter account: An account the caller holds.
    public func release(_ account: String) {
        let next = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard var lane = state.lanes[account] else { return nil }
            guard !lane.waiters.isEmpty else {
                state.lanes[account] = nil
                return nil
            }
            // The lane stays busy: ownership passes straight to the waiter, so a newcomer cannot
            // slip in between and overtake a waiting `registered`.
            let waiter = lane.waiters.removeFirst()
            state.lanes[account] = lane
            return waiter.continuation
        }
        next?.resume()
    }

    /// Runs `body` while holding `account`.
    ///
    /// - Parameters:
    ///   - account: The account id.
    ///   - kind: The event kind (see ``acquire(_:kind:)``).
    ///   - body: The work done while holding the account.
    /// - Returns: What `body` returns.
    /// - Throws: `CancellationError` while waiting, or what `body` throws.
    public func withLane<Result: Sendable>(
        _ account: String,
        kind: ReferralEvent.Kind,
        _ body: () async throws -> Result
    ) async throws -> Result {
        try await self.acquire(account, kind: kind)
        defer { self.release(account) }
        return try await body()
    }

    /// The number of accounts currently held (each with its waiters).
    public var busyAccounts: Int { self.state.withLock { $0.lanes.count } }

    /// The number of tasks waiting for `account`.
    ///
    /// - Parameter account: The account id.
    /// - Returns: The waiters, not counting the holder.
    public func waiters(for account: String) -> Int {
        self.state.withLock { $0.lanes[account]?.waiters.count ?? 0 }
    }
}
