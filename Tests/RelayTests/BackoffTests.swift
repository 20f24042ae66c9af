import Relay
import Testing

/// Full-jitter exponential backoff: ceilings double up to the maximum, waits stay within them.
@Suite struct BackoffTests {
    let backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))

    @Test func ceilingsDoubleFromTheInitialUpToTheMaximum() {
        let ceilings = (1...6).map { self.backoff.ceiling(attempt: $0) }
        #expect(
            ceilings == [
                .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(50), .milliseconds(50),
                .milliseconds(50),
            ])
    }

    @Test func ceilingNeverOverflowsForEventsHeldForDays() {
        #expect(self.backoff.ceiling(attempt: Int.max) == .milliseconds(50))
        #expect(Backoff(initial: .seconds(30), maximum: .seconds(10)).ceiling(attempt: 1) == .seconds(10))
        #expect(Backoff(initial: .zero, maximum: .seconds(10)).ceiling(attempt: 1_000) == .zero)
    }

    @Test func waitsStayWithinZeroAndTheCeilingAndSpreadOut() {
        var generator = DeliveryHarness.SeededGenerator(seed: 7)
        for attempt in 1...8 {
            let ceiling = self.backoff.ceiling(attempt: attempt)
            let delays = (0..<500).map { _ in self.backoff.delay(attempt: attempt, using: &generator) }
            #expect(delays.allSatisfy { $0 >= .zero && $0 <= ceiling })
            // Full jitter: the draws cover the range, not one fixed value near the ceiling.
            #expect(delays.contains { $0 < ceiling / 4 })
            #expect(delays.contains { $0 > ceiling * 3 / 4 })
        }
    }

    @Test func sameSeedSameWaits() {
        var first = DeliveryHarness.SeededGenerator(seed: 42)
        var second = DeliveryHarness.SeededGenerator(seed: 42)
        let a = (1...10).map { self.backoff.delay(attempt: $0, using: &first) }
        let b = (1...10).map { self.backoff.delay(attempt: $0, using: &second) }
        #expect(a == b)
    }

    @Test func fractionMapsOntoTheCeiling() {
        #expect(self.backoff.delay(attempt: 2, fraction: 0) == .zero)
        #expect(self.backoff.delay(attempt: 2, fraction: 1) == .milliseconds(20))
        #expect(self.backoff.delay(attempt: 2, fraction: 0.5) == .milliseconds(10))
        #expect(self.backoff.delay(attempt: 2, fraction: 7) == .milliseconds(20))
        #expect(self.backoff.delay(attempt: 2, fraction: .nan) == .zero)
    }
}
