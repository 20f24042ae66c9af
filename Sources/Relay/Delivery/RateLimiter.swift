import Synchronization

/// Spaces units of work at a fixed rate (``TokenBucket`` on the continuous clock): each caller
/// of ``acquire()`` sleeps until its turn. The deliverer takes one unit per request to MMOLove
/// (`RELAY_RATE_LIMIT`, `backfill --rate`), so neither the relay nor a replay floods the partner.
final class RateLimiter: Sendable {
    private let bucket: Mutex<TokenBucket>
    private let origin = ContinuousClock.now

    /// Creates a limiter of `perSecond` units per second.
    init(perSecond: Double) {
        // Requests evenly spaced, with 50 ms of credit: enough to make up a waiter that overslept
        // (a loaded machine), too little to push any one second past the rate by much.
        self.bucket = Mutex(TokenBucket(rate: perSecond, capacity: max(1, (perSecond / 20).rounded(.down))))
    }

    /// Waits for the next unit.
    ///
    /// - Throws: `CancellationError` when cancelled while waiting.
    func acquire() async throws {
        let wait = self.bucket.withLock { $0.take(at: self.origin.duration(to: .now)) }
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
