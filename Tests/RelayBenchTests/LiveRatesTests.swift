import Testing

@testable import RelayBench

/// ``LiveRates``: the live workload with row 11's backlog mix, and the median its ratios use.
@Suite struct LiveRatesTests {
    @Test func theBacklogsMixAtRowFourSizeIsFourRegisteredToOneQualified() {
        let backlog = RelayWorkload(run: "u", accounts: 240_000, milestones: 60_000)
        let live = LiveRates.backlogMix(of: backlog, events: 20_000, run: "um0")
        #expect(live.accounts == 16_000)
        #expect(live.milestones == 4_000)
        #expect(live.events == 20_000)
        #expect(live.run == "um0")
    }

    @Test func theBacklogsMixKeepsTheEventCountWhenItDoesNotDivideEvenly() {
        // CI's sizes (scale 0.01): 2,400 accounts and 600 milestones, 200 live events; the
        // smallest sizes; and an uneven split.
        let ci = LiveRates.backlogMix(
            of: RelayWorkload(run: "u", accounts: 2_400, milestones: 600), events: 200, run: "x")
        #expect(ci.accounts == 160)
        #expect(ci.milestones == 40)
        let smallest = LiveRates.backlogMix(
            of: RelayWorkload(run: "u", accounts: 80, milestones: 20), events: 100, run: "x")
        #expect(smallest.accounts == 80)
        #expect(smallest.milestones == 20)
        let uneven = LiveRates.backlogMix(
            of: RelayWorkload(run: "u", accounts: 2, milestones: 1), events: 100, run: "x")
        #expect(uneven.accounts == 66)
        #expect(uneven.events == 100)
    }

    @Test func theMedianIsTheMiddleRateWhateverTheOrder() {
        #expect(LiveRates.median([5, 1, 4, 2, 3]) == 3)
        // An even count takes the upper middle, as row 4's median of its runs does.
        #expect(LiveRates.median([4, 1, 3, 2]) == 3)
        #expect(LiveRates.median([]) == 0)
    }
}
