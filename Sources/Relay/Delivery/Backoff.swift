/// Exponential backoff with full jitter: before repeat n (n ≥ 1) wait a uniformly random time in
/// `0...min(maximum, initial * 2^(n-1))`.
///
/// Full jitter (rather than a fixed exponential delay) spreads the retries of many events that
/// failed together, e.g. during an outage of the endpoint, so they do not come back in waves.
public struct Backoff: Sendable, Hashable {
    /// The ceiling of the first wait.
    public var initial: Duration
    /// The largest ceiling.
    public var maximum: Duration

    /// Creates a backoff.
    ///
    /// - Parameters:
    ///   - initial: The ceiling of the first wait (negative counts as zero).
    ///   - maximum: The largest ceiling (negative counts as zero).
    public init(initial: Duration, maximum: Duration) {
        self.initial = max(.zero, initial)
        self.maximum = max(.zero, maximum)
    }

    /// The backoff of the delivery settings.
    ///
    /// - Parameter delivery: Provides `initialBackoff` and `maxBackoff`.
    public init(_ delivery: RelayConfiguration.Delivery) {
        self.init(initial: delivery.initialBackoff, maximum: delivery.maxBackoff)
    }

    /// The ceiling before repeat `attempt`: `min(maximum, initial * 2^(attempt-1))`.
    ///
    /// - Parameter attempt: The repeat number, from 1 (smaller values count as 1).
    /// - Returns: The ceiling; never more than ``maximum``, also for huge attempt numbers.
    public func ceiling(attempt: Int) -> Duration {
        let exponent = max(0, attempt - 1)
        // Double the ceiling step by step and stop at the maximum: no overflow however many
        // attempts an event held for days has made.
        var ceiling = min(self.initial, self.maximum)
        var step = 0
        while step < exponent && ceiling > .zero && ceiling < self.maximum {
            ceiling = min(self.maximum, ceiling * 2)
            step += 1
        }
        return ceiling
    }

    /// The wait before repeat `attempt`, `fraction` of the way to its ceiling.
    ///
    /// - Parameters:
    ///   - attempt: The repeat number, from 1.
    ///   - fraction: A uniformly random value in `0...1` (clamped).
    /// - Returns: A wait in `0...ceiling(attempt:)`.
    public func delay(attempt: Int, fraction: Double) -> Duration {
        let clamped = fraction.isNaN ? 0 : min(1, max(0, fraction))
        return self.ceiling(attempt: attempt) * clamped
    }

    /// A random wait before repeat `attempt`, drawn from `generator`.
    ///
    /// - Parameters:
    ///   - attempt: The repeat number, from 1.
    ///   - generator: The random source (seeded in tests).
    /// - Returns: A wait in `0...ceiling(attempt:)`.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        self.delay(attempt: attempt, fraction: Double.random(in: 0...1, using: &generator))
    }
}
