import Testing

@testable import Relay

/// ``TokenBucket`` with plain values: the schedule it grants.
@Suite struct TokenBucketTests {
    @Test func spacesGrantsAtTheRate() {
        var bucket = TokenBucket(rate: 500)
        let grants = (0..<1_000).map { _ in bucket.grant(at: 10) }
        #expect(grants.first == 10)
        // 1,000 units at 500/s: the last may go 1,998 ms after the first.
        #expect(abs(grants.last! - 11.998) < 1e-9)
        #expect(zip(grants, grants.dropFirst()).allSatisfy { abs($1 - $0 - 0.002) < 1e-9 })
    }

    @Test func anIdleSpellSavesAtMostTheBurst() {
        var bucket = TokenBucket(rate: 10, burst: 3)
        _ = bucket.grant(at: 0)
        // 100 s idle: three units go at once, the fourth a tenth of a second later.
        let grants = (0..<4).map { _ in bucket.grant(at: 100) }
        #expect(grants[0..<3] == [100, 100, 100])
        #expect(abs(grants[3] - 100.1) < 1e-9)
    }

    @Test func aLateCallerIsNotHeldBack() {
        var bucket = TokenBucket(rate: 1)
        #expect(bucket.grant(at: 0) == 0)
        #expect(bucket.grant(at: 5) == 5)
        #expect(bucket.grant(at: 5) == 6)
    }
}
