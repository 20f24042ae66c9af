/// A token bucket that paces `dlq redrive --rate`: ``take(at:)`` reserves one token and says
/// how long to wait before using it.
///
/// Time is passed in (a `Duration` since any fixed origin), so the arithmetic is tested with
/// plain values and the caller owns the clock and the sleeping.
public struct TokenBucket: Sendable, Hashable {
    /// Tokens added per second.
    public let rate: Double
    /// The most tokens held at once: the burst allowed after an idle spell.
    public let capacity: Double
    /// Tokens available at ``updated``; negative when reservations are queued ahead.
    private var tokens: Double
    /// When ``tokens`` was last brought up to date.
    private var updated: Duration?

    /// Creates a full bucket.
    ///
    /// - Parameters:
    ///   - rate: Tokens per second; must be positive.
    ///   - capacity: The burst; default 1 (records evenly spaced).
    public init(rate: Double, capacity: Double = 1) {
        precondition(rate > 0 && capacity >= 1, "a token bucket needs a positive rate and room for one token")
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
    }

    /// Reserves one token at `now`.
    ///
    /// - Returns: How long to wait before the reserved token is due: zero when one was there.
    public mutating func take(at now: Duration) -> Duration {
        if let updated, now > updated {
            tokens = min(capacity, tokens + Self.seconds(now - updated) * rate)
        }
        if updated.map({ now > $0 }) ?? true { updated = now }
        tokens -= 1
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens / rate * 1e9).rounded(.up)))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
