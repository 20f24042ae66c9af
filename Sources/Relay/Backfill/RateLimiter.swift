import Synchronization

/// Spaces units of work at a fixed rate (``TokenBucket`` on the continuous clock): each caller
/// of ``acquire()`` sleeps until its turn. Used for `backfill --rate`, so a replay cannot flood
/// the partner's endpoint.
final class RateLimiter: Sendable {
    private let bucket: Mutex<TokenBucket>
    private let origin = ContinuousClock.now

    /// Creates a limiter of `perSecond` units per second.
    init(perSecond: Double) {
        // A burst of a tenth of a second's worth at most keeps the average exact over any window
        // of a second or more, and lets a just-started run begin at once.
        self.bucket = Mutex(TokenBucket(rate: perSecond, capacity: max(1, (perSecond / 10).rounded(.down))))
    }

    /// Waits for the next unit.
    ///
    /// - Throws: `CancellationError` when cancelled while waiting.
    func acquire() async throws {
        let wait = self.bucket.withLock { $0.take(at: self.origin.duration(to: .now)) }
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
