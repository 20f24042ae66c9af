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

    /// A busy account: the kind of its holder, the waiters ordered (registered first).
    private struct Lane {
        var holder: ReferralEvent.Kind
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
        /// Deliveries pausing away from their account (see ``pause(_:kind:for:)``), woken early
        /// when a `registered` of the account lets go of it.
        var sleepers: [String: [UInt64: Sleeper]] = [:]
        var nextWaiterID: UInt64 = 0

        /// Marks every paused delivery of `account` woken and returns those already waiting.
        mutating func wakeSleepers(of account: String) -> [CheckedContinuation<Void, any Error>] {
            guard var sleepers = self.sleepers[account] else { return [] }
            var waiting: [CheckedContinuation<Void, any Error>] = []
            for (id, sleeper) in sleepers {
                if case .waiting(let continuation) = sleeper { waiting.append(continuation) }
                sleepers[id] = .woken
            }
            self.sleepers[account] = sleepers
            return waiting
        }
    }

    /// A paused delivery: registered before it lets go of the account, so a wake-up that comes
    /// before it starts waiting is kept, not lost.
    private enum Sleeper {
        case pending
        case woken
        case waiting(CheckedContinuation<Void, any Error>)
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
    ///   - slot: The caller's window slot, given back while it waits for the account and taken
    ///     again once the account is handed over: a window full of events waiting for accounts
    ///     held by events that wait for a slot (after a circuit breaker closes, say) would never
    ///     move again.
    /// - Throws: `CancellationError` when the task is cancelled before the account was handed
    ///   over (the account is then not held).
    public func acquire(_ account: String, kind: ReferralEvent.Kind, slot: DeliverySlot = .none) async throws {
        var waited = false
        try await self.acquireAccount(account, kind: kind) {
            slot.leave()
            waited = true
        }
        guard waited else { return }
        do {
            try await slot.enter()
        } catch {
            self.release(account)
            throw error
        }
    }

    private func acquireAccount(
        _ account: String,
        kind: ReferralEvent.Kind,
        onWait: () -> Void
    ) async throws {
        try Task.checkCancellation()
        // A free account (nearly always) is taken without suspending: no continuation and no
        // cancellation handler to allocate and register per delivery.
        let id = self.state.withLock { state -> UInt64? in
            guard state.lanes[account] != nil else {
                state.lanes[account] = Lane(holder: kind)
                return nil
            }
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let action = self.state.withLock { state -> AcquireAction in
                    guard var lane = state.lanes[account] else {
                        state.lanes[account] = Lane(holder: kind)
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
                case .wait: onWait()
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
        let (next, woken) = self.state.withLock {
            state -> (CheckedContinuation<Void, any Error>?, [CheckedContinuation<Void, any Error>]) in
            guard var lane = state.lanes[account] else { return (nil, []) }
            // A `registered` letting go is what a pausing `qualified` of the account waits for.
            let woken = lane.holder == .registered ? state.wakeSleepers(of: account) : []
            guard !lane.waiters.isEmpty else {
                state.lanes[account] = nil
                return (nil, woken)
            }
            // The lane stays busy: ownership passes straight to the waiter, so a newcomer cannot
            // slip in between and overtake a waiting `registered`.
            let waiter = lane.waiters.removeFirst()
            lane.holder = waiter.kind
            state.lanes[account] = lane
            return (waiter.continuation, woken)
        }
        next?.resume()
        for sleeper in woken { sleeper.resume() }
    }

    /// Lets go of `account` for up to `duration`, then holds it again: a `qualified` answered 422
    /// waits this way so its own `registered` can go first. It comes back early when a
    /// `registered` of the account lets go of it (the `qualified` may now succeed).
    ///
    /// - Parameters:
    ///   - account: An account the caller holds.
    ///   - kind: The caller's event kind (for the queue order when it comes back).
    ///   - duration: The longest pause.
    ///   - leaving: Called once the account is let go of (the caller gives up its window slot).
    ///   - entering: Awaited when the pause ends, before the account is held again (the caller
    ///     gets a window slot back first, so it never holds an account while it waits for one).
    /// - Throws: `CancellationError` when cancelled while paused or waiting; the account is then
    ///   not held.
    public func pause(
        _ account: String,
        kind: ReferralEvent.Kind,
        for duration: Duration,
        leaving: @Sendable () -> Void = {},
        entering: @Sendable () async throws -> Void = {}
    ) async throws {
        let id = self.state.withLock { state in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        // Registered as a sleeper before letting go, so a `registered` that takes and releases
        // the account at once cannot be missed.
        self.state.withLock { $0.sleepers[account, default: [:]][id] = .pending }
        self.release(account)
        leaving()
        defer {
            self.state.withLock { state in
                state.sleepers[account]?[id] = nil
                if state.sleepers[account]?.isEmpty == true { state.sleepers[account] = nil }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Task.sleep(for: duration) }
            group.addTask { try await self.sleep(account, id: id) }
            // Whichever ends first ends the pause; the other is cancelled (its error discarded).
            defer { group.cancelAll() }
            try await group.next()
        }
        try await entering()
        try await self.acquire(account, kind: kind)
    }

    /// Waits until a `registered` of `account` lets go of it.
    ///
    /// - Throws: `CancellationError` when cancelled first.
    private func sleep(_ account: String, id: UInt64) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let action = self.state.withLock { state -> AcquireAction in
                    switch state.sleepers[account]?[id] {
                    case .woken, .none: return .proceed
                    case .pending, .waiting:
                        if Task.isCancelled { return .cancelled }
                        state.sleepers[account]?[id] = .waiting(continuation)
                        return .wait
                    }
                }
                switch action {
                case .proceed: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let continuation = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard case .waiting(let continuation) = state.sleepers[account]?[id] else { return nil }
                state.sleepers[account]?[id] = .pending
                return continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
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

    /// The number of paused deliveries of `account` (see ``pause(_:kind:for:)``).
    ///
    /// - Parameter account: The account id.
    /// - Returns: The deliveries paused away from the account.
    public func paused(for account: String) -> Int {
        self.state.withLock { $0.sleepers[account]?.count ?? 0 }
    }

    /// The number of tasks waiting for `account`.
    ///
    /// - Parameter account: The account id.
    /// - Returns: The waiters, not counting the holder.
    public func waiters(for account: String) -> Int {
        self.state.withLock { $0.lanes[account]?.waiters.count ?? 0 }
    }
}
