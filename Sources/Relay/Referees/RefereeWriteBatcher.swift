import Synchronization

/// Applies the rows this instance writes to the referee store's local copy in shared
/// transactions (a group commit).
///
/// SQLite has one writer. Applied one transaction per row, the copy took about 4,000 rows a
/// second on this project's 2-core machine, and a registered writes two (pending, then how it
/// ended): at full speed every write queued behind the others for 11 ms on average, and the
/// whole relay could not go past 4,000 events a second with the store on.
///
/// The rule: one writer at a time leads. The leader applies its own row with every row queued
/// when it begins, in one transaction, then hands the lead to the oldest row that queued
/// meanwhile (whose writer wakes up and does the same) and returns. So each write waits for at
/// most the transaction in progress and its own, and a leader never works for longer than its
/// own batch, however long the load lasts.
final class RefereeWriteBatcher: Sendable {
    /// What a queued writer is told when it wakes up.
    private enum Wake: Sendable {
        /// Its row was applied (or failed with the rest of its batch).
        case applied(Result<Void, any Error>)
        /// Its row was not applied yet: it leads the next batch.
        case lead
    }

    /// A queued row and its writer.
    private struct Waiter: Sendable {
        var row: RefereeDatabase.Row
        var continuation: CheckedContinuation<Wake, Never>
    }

    /// Whether a leader is applying a batch, and the rows queued behind it.
    private struct State: Sendable {
        var leading = false
        var queue: [Waiter] = []
    }

    private let state = Mutex(State())
    private let apply: @Sendable ([RefereeDatabase.Row]) async throws -> Void

    /// Creates a batcher that applies batches with `apply` (one transaction per call).
    init(apply: @escaping @Sendable ([RefereeDatabase.Row]) async throws -> Void) {
        self.apply = apply
    }

    /// Applies `row`, together with the rows written at the same time.
    ///
    /// - Throws: The error of the transaction that carried the row.
    func write(_ row: RefereeDatabase.Row) async throws {
        let leads = self.state.withLock { state -> Bool in
            if state.leading { return false }
            state.leading = true
            return true
        }
        if !leads {
            let wake = await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                // The leader may have finished since: then this writer leads at once.
                let queued = self.state.withLock { state -> Bool in
                    guard state.leading else {
                        state.leading = true
                        return false
                    }
                    state.queue.append(Waiter(row: row, continuation: continuation))
                    return true
                }
                if !queued { continuation.resume(returning: .lead) }
            }
            if case .applied(let result) = wake { return try result.get() }
        }
        try await self.lead(with: row)
    }

    /// Applies `row` and everything queued, then hands the lead on (or gives it up).
    private func lead(with row: RefereeDatabase.Row) async throws {
        let batch = self.state.withLock { state -> [Waiter] in
            defer { state.queue = [] }
            return state.queue
        }
        let result: Result<Void, any Error>
        do {
            try await self.apply([row] + batch.map(\.row))
            result = .success(())
        } catch {
            result = .failure(error)
        }
        for waiter in batch { waiter.continuation.resume(returning: .applied(result)) }
        let next = self.state.withLock { state -> Waiter? in
            guard !state.queue.isEmpty else {
                state.leading = false
                return nil
            }
            return state.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        try result.get()
    }
}
