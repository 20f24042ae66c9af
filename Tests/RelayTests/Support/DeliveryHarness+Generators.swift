import ReferralSandbox

extension DeliveryHarness {
    /// A seeded SplitMix64 generator, so jitter drawn in a test is reproducible.
    typealias SeededGenerator = SplitMix64

    /// A generator that always draws the top of the range: every backoff waits its full ceiling.
    struct CeilingGenerator: RandomNumberGenerator, Sendable {
        mutating func next() -> UInt64 { .max }
    }
}
