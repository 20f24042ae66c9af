/// A rate as a value: when may the next unit go, given the units granted so far. Tested with
/// plain values (`TokenBucketTests`); ``RateLimiter`` puts it behind a lock and a clock.
///
/// Each grant moves a schedule forward by one interval (1 / rate); a grant asked for later
/// than the schedule starts from now, with at most ``burst`` units of credit saved up, so an
/// idle spell is not followed by an unbounded burst.
struct TokenBucket: Sendable, Hashable {
    /// Units per second.
    let rate: Double
    /// Units that may go at once after an idle spell.
    let burst: Int
    /// When the next unit is due, in seconds on the caller's clock.
    private(set) var nextDue: Double?

    /// Creates a bucket granting `rate` units per second, `burst` at most at once.
    init(rate: Double, burst: Int = 1) {
        precondition(rate > 0, "a rate must be positive")
        self.rate = rate
        self.burst = max(1, burst)
    }

    /// Grants one unit asked for at `now` (seconds).
    ///
    /// - Returns: The time at which the unit may go (`now` or later).
    mutating func grant(at now: Double) -> Double {
        let interval = 1 / self.rate
        // Saved-up credit is capped at `burst` intervals.
        let due = max(self.nextDue ?? now, now - Double(self.burst - 1) * interval)
        self.nextDue = due + interval
        return max(due, now)
    }
}
