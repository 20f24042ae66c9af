import Synchronization

/// Who goes next among the writes of one key: the first to ask goes at once, the others wait
/// in the order they asked, and each end hands the turn to the next (a value, tested with plain
/// values; ``KeyedTurns`` runs it with continuations).
struct KeyedTurnsState<Waiter> {
    /// Keys with a write under way, and who waits behind it, in order.
    private var busy: [String: [Waiter]] = [:]

    /// Whether any write of `key` is under way.
    func isBusy(_ key: String) -> Bool { self.busy[key] != nil }

    /// How many wait behind the write of `key` under way.
    func waiting(_ key: String) -> Int { self.busy[key]?.count ?? 0 }

    /// Takes `key`'s turn when it is free (`true`: the caller goes now), without queueing.
    mutating func tryBegin(_ key: String) -> Bool {
        guard self.busy[key] == nil else { return false }
        self.busy[key] = []
        return true
    }

    /// Asks for `key`'s turn: `true` when it is free (the caller goes now); otherwise `waiter`
    /// is queued and gets the turn from a later ``end(_:)``.
    mutating func begin(_ key: String, _ waiter: Waiter) -> Bool {
        if self.tryBegin(key) { return true }
        self.busy[key]!.append(waiter)
        return false
    }

    /// Ends the current turn of `key`: returns the waiter that now has it, or `nil` when nobody
    /// waits (the key is forgotten, so memory follows the writes under way, not every account).
    mutating func end(_ key: String) -> Waiter? {
        guard var waiters = self.busy[key] else { return nil }
        guard !waiters.isEmpty else {
            self.busy[key] = nil
            return nil
        }
        let next = waiters.removeFirst()
        self.busy[key] = waiters
        return next
    }
}

/// One write at a time per key, in the order asked: the referee store's records of one
/// account reach the topic in the order the relay wrote them.
///
/// Why: the relay's producer is not idempotent (docs/CONFIGURATION.md), so of two records of one
/// key in flight together a retried request may land after the later one, and the store keeps
/// a key's newest offset, for good once compacted. Two `registered` events of one account (a
/// duplicate in the input, a re-send after `failed`) can end within a Kafka round trip of each
/// other. Waiting is not cancellable: the write ahead ends within the producer's delivery
/// timeout.
final class KeyedTurns: Sendable {
    private let state = Mutex(KeyedTurnsState<CheckedContinuation<Void, Never>>())

    /// Runs `body` once every earlier caller with the same `key` is done.
    func withTurn<T>(_ key: String, _ body: () async throws -> T) async throws -> T {
        // Nearly always free: no continuation then (one allocation and a suspension saved per
        // referee record).
        if !self.state.withLock({ $0.tryBegin(key) }) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if self.state.withLock({ $0.begin(key, continuation) }) { continuation.resume() }
            }
        }
        defer { self.state.withLock { $0.end(key) }?.resume() }
        return try await body()
    }

    /// Whether a write of `key` is under way (for tests).
    func isBusy(_ key: String) -> Bool { self.state.withLock { $0.isBusy(key) } }

    /// How many wait behind the write of `key` under way (for tests).
    func waiting(_ key: String) -> Int { self.state.withLock { $0.waiting(key) } }
}
