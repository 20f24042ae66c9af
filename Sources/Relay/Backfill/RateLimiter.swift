import Synchronization

/// Spaces units of work at a fixed rate (``TokenBucket`` on the continuous clock): each caller
/// of ``acquire()`` sleeps until its turn. Used for `--rate` of backfills, so a replay cannot
/// flood the partner's endpoint.
final class RateLimiter: Sendable {
    private let bucket: Mutex<TokenBucket>
    private let origin = ContinuousClock.now

    /// Creates a limiter of `perSecond` units per second.
    init(perSecond: Double) {
        // A burst of a tenth of a second's worth at most keeps the average exact over any window
        // of a second or more, and lets a just-started run begin at once.
        self.bucket = Mutex(TokenBucket(rate: perSecond, burst: max(1, Int(perSecond / 10))))
    }

    /// Waits for the next unit.
    ///
    /// - Throws: `CancellationError` when cancelled while waiting.
    func acquire() async throws {
        let now = self.origin.duration(to: .now).seconds
        let due = self.bucket.withLock { $0.grant(at: now) }
        if due > now { try await Task.sleep(until: self.origin + .seconds(due), clock: .continuous) }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (whole, attoseconds) = self.components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
