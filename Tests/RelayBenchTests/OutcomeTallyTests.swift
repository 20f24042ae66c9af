import Testing

@testable import RelayBench

/// ``OutcomeTally/rateByFifth``: the rate of each fifth of a run's outcomes, from plain times.
@Suite struct OutcomeTallyTests {
    private func tally(_ milliseconds: [Int64]) -> OutcomeTally {
        var tally = OutcomeTally([])
        tally.completedMilliseconds = milliseconds
        return tally
    }

    @Test func aSteadyRunHasTheSameRateInEveryFifth() {
        // Ten outcomes a second, given out of order.
        let times = (0..<100).map { Int64($0) * 100 }.reversed()
        let fifths = self.tally(Array(times)).rateByFifth
        #expect(fifths.count == 5)
        for rate in fifths { #expect(abs(rate - 10) < 0.001) }
    }

    @Test func aRunThatSlowsShowsItInItsLaterFifths() {
        // 50 outcomes 10 ms apart, then 50 outcomes 40 ms apart: 100/s, then 25/s.
        let fast = (0..<50).map { Int64($0) * 10 }
        let slow = (1...50).map { 490 + Int64($0) * 40 }
        let fifths = self.tally(fast + slow).rateByFifth
        #expect(fifths.count == 5)
        #expect(abs(fifths[0] - 100) < 0.001)
        #expect(abs(fifths[1] - 100) < 0.001)
        #expect(abs(fifths[3] - 25) < 0.001)
        #expect(abs(fifths[4] - 25) < 0.001)
        // The middle fifth straddles the change: 20 outcomes in 0.01 × 10 + 0.04 × 10 seconds.
        #expect(abs(fifths[2] - 40) < 0.001)
    }

    @Test func fewerThanTenOutcomesHaveNoFifths() {
        #expect(self.tally([0, 1, 2, 3, 4, 5, 6, 7, 8]).rateByFifth.isEmpty)
    }
}
