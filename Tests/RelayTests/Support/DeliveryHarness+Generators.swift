extension DeliveryHarness {
    /// A seeded SplitMix64 generator, so jitter drawn in a test is reproducible.
    struct SeededGenerator: RandomNumberGenerator, Sendable {
        private var state: UInt64

        init(seed: UInt64) {
            self.state = seed
        }

        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A generator that always draws the top of the range: every backoff waits its full ceiling.
    struct CeilingGenerator: RandomNumberGenerator, Sendable {
        mutating func next() -> UInt64 { .max }
    }
}
