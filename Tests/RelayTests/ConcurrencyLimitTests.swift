import Testing

@testable import Relay

/// ``ConcurrencyLimit`` with plain values: permits up to the limit, one decrease per generation,
/// growth only while the limit is in use, the bounds, and where it settles against a server that
/// sheds load.
@Suite struct ConcurrencyLimitTests {
    static func limit(initial: Int = 32, maximum: Int = 256) -> ConcurrencyLimit {
        ConcurrencyLimit(settings: .init(initial: initial, maximum: maximum))
    }

    /// Takes every permit there is.
    static func fill(_ limit: inout ConcurrencyLimit) -> [ConcurrencyLimit.Permit] {
        var permits: [ConcurrencyLimit.Permit] = []
        while let permit = limit.acquire() { permits.append(permit) }
        return permits
    }

    /// A saturated server's steady state: the oldest request ends, the free permits are taken
    /// again at once (by requests that were waiting for them).
    static func turn(
        _ limit: inout ConcurrencyLimit,
        _ permits: inout [ConcurrencyLimit.Permit],
        _ sample: ConcurrencyLimit.Sample
    ) -> ConcurrencyLimit.Change? {
        let change = limit.release(permits.removeFirst(), sample)
        permits += Self.fill(&limit)
        return change
    }

    @Test func theInitialLimitIsBoundedByTheMaximumAndOne() {
        #expect(ConcurrencyLimit.Settings(maximum: 256).initial == 32)
        #expect(ConcurrencyLimit.Settings(maximum: 8).initial == 8)
        #expect(ConcurrencyLimit.Settings(initial: 0, maximum: 8).initial == 1)
        #expect(ConcurrencyLimit.Settings(initial: 64, maximum: 0).maximum == 1)
        #expect(ConcurrencyLimit.Settings(maximum: 256).backoffRatio == 0.9)
    }

    @Test func permitsAreHandedOutUpToTheLimit() {
        var limit = Self.limit(initial: 3)
        let permits = Self.fill(&limit)
        #expect(permits.count == 3)
        #expect(limit.inFlight == 3)
        #expect(!limit.hasRoom)
        #expect(limit.release(permits[0], .ignored) == nil)
        #expect(limit.inFlight == 2)
        #expect(limit.acquire() != nil)
        #expect(limit.acquire() == nil)
    }

    @Test func aBurstOfOverloadsLowersTheLimitOnce() {
        var limit = Self.limit(initial: 32)
        let burst = Self.fill(&limit)
        #expect(limit.release(burst[0], .overload) == .decreased(to: 28))
        // The rest of the burst started before the decrease: the same signal, ignored.
        for permit in burst.dropFirst() { #expect(limit.release(permit, .overload) == nil) }
        #expect(limit.limit == 28)
        #expect(limit.inFlight == 0)
        #expect(limit.generation == 1)
    }

    @Test func anOverloadOfARequestSentAfterTheDecreaseLowersItAgain() throws {
        var limit = Self.limit(initial: 32)
        let old = Self.fill(&limit)
        #expect(limit.release(old[0], .overload) == .decreased(to: 28))
        // Permits free up below the new limit only once enough old requests ended.
        for permit in old[1..<5] { _ = limit.release(permit, .success) }
        let acquired = limit.acquire()
        let new = try #require(acquired)
        #expect(new.generation == 1)
        #expect(limit.release(old[5], .overload) == nil)
        #expect(limit.release(new, .overload) == .decreased(to: 25))
    }

    @Test func theLimitNeverFallsBelowOne() throws {
        var limit = Self.limit(initial: 4)
        var seen: [Int] = []
        for _ in 0..<6 {
            let acquired = limit.acquire()
            let permit = try #require(acquired)
            _ = limit.release(permit, .overload)
            seen.append(limit.limit)
        }
        #expect(seen == [3, 2, 1, 1, 1, 1])
        #expect(limit.acquire() != nil)
    }

    @Test func successesRaiseTheLimitByOnePerLimitWhileItIsInUse() {
        var limit = Self.limit(initial: 4)
        var permits = Self.fill(&limit)
        // The first request went alone: one in flight is not half of four.
        #expect(permits.map(\.limitInUse) == [false, true, true, true])
        var changes = (0..<5).map { _ in Self.turn(&limit, &permits, .success) }
        #expect(changes == [nil, nil, nil, nil, .increased(to: 5)])
        // Five more successes at the full limit of five: six.
        changes = (0..<5).map { _ in Self.turn(&limit, &permits, .success) }
        #expect(changes == [nil, nil, nil, nil, .increased(to: 6)])
        #expect(limit.inFlight == 6)
    }

    @Test func successesOfALimitNobodyReachesDoNotRaiseIt() {
        var limit = Self.limit(initial: 10)
        // Four in flight at most: less than half of ten.
        for _ in 0..<100 {
            let permits = (0..<4).compactMap { _ in limit.acquire() }
            for permit in permits { #expect(limit.release(permit, .success) == nil) }
        }
        #expect(limit.limit == 10)
        // Half of it is enough: the fifth request of each round counts, ten of them raise it.
        for round in 1...10 {
            let permits = (0..<5).compactMap { _ in limit.acquire() }
            for permit in permits { _ = limit.release(permit, .success) }
            #expect(limit.limit == (round < 10 ? 10 : 11))
        }
    }

    @Test func theLimitNeverExceedsTheMaximum() {
        var limit = Self.limit(initial: 3, maximum: 4)
        for _ in 0..<50 {
            for permit in Self.fill(&limit) { _ = limit.release(permit, .success) }
        }
        #expect(limit.limit == 4)
    }

    @Test func ignoredAnswersFreeThePermitAndChangeNothing() {
        var limit = Self.limit(initial: 2)
        for _ in 0..<10 {
            for permit in Self.fill(&limit) { #expect(limit.release(permit, .ignored) == nil) }
        }
        #expect(limit.limit == 2)
        #expect(limit.generation == 0)
        #expect(limit.inFlight == 0)
    }

    /// Rounds against a server that takes `capacity` requests at once and sheds the rest: from 32
    /// the limit comes down in a few rounds and then stays within a step of the capacity.
    @Test(arguments: [4, 16, 100])
    func theLimitSettlesNearWhatTheServerTakes(capacity: Int) {
        var limit = Self.limit(initial: 32)
        var late: [Int] = []
        for round in 0..<300 {
            let permits = Self.fill(&limit)
            // The shed requests are answered first (at once), the taken ones a round trip later.
            for permit in permits.dropFirst(capacity) { _ = limit.release(permit, .overload) }
            for permit in permits.prefix(capacity) { _ = limit.release(permit, .success) }
            if round >= 200 { late.append(limit.limit) }
        }
        let low = Int((Double(capacity) * 0.9).rounded(.down)) - 1
        #expect(late.allSatisfy { (low...(capacity + 1)).contains($0) }, "\(late)")
        #expect(late.contains(capacity))
    }
}
