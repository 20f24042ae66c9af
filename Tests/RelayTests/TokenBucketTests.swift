import Relay
import Testing

/// ``TokenBucket`` with plain times.
@Suite struct TokenBucketTests {
    @Test func pacesToTheRateAfterTheBurst() {
        var bucket = TokenBucket(rate: 10)
        #expect(bucket.take(at: .zero) == .zero)
        #expect(bucket.take(at: .zero) == .milliseconds(100))
        // The reservation above is queued: the next one waits behind it.
        #expect(bucket.take(at: .zero) == .milliseconds(200))
        #expect(bucket.take(at: .milliseconds(300)) == .milliseconds(0))
    }

    @Test func refillsWhileIdleUpToTheCapacity() {
        var bucket = TokenBucket(rate: 2, capacity: 3)
        for _ in 0..<3 { #expect(bucket.take(at: .zero) == .zero) }
        #expect(bucket.take(at: .zero) == .milliseconds(500))
        // An hour idle refills only the capacity.
        for _ in 0..<3 { #expect(bucket.take(at: .seconds(3600)) == .zero) }
        #expect(bucket.take(at: .seconds(3600)) == .milliseconds(500))
    }

    @Test func aRateBelowOneWaitsSeconds() {
        var bucket = TokenBucket(rate: 0.5)
        #expect(bucket.take(at: .seconds(10)) == .zero)
        #expect(bucket.take(at: .seconds(11)) == .seconds(1))
    }
}
