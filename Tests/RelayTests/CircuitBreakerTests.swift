import Testing

@testable import Relay

/// ``CircuitBreaker`` with plain values: what opens it, when it probes, what closes it.
@Suite struct CircuitBreakerTests {
    static let t0 = ContinuousClock.now

    static func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .milliseconds(Int64(seconds * 1000)) }

    @Test func aSystemicAnswerOpensAtOnceAndProbesOnADoublingSchedule() {
        var breaker = CircuitBreaker()
        #expect(breaker.passage(now: Self.at(0)).0 == .go)
        #expect(
            breaker.observe(.systemic(reason: "HTTP 401 bad_signature"), now: Self.at(0))
                == .opened(reason: "HTTP 401 bad_signature"))
        #expect(breaker.passage(now: Self.at(0.5)).0 == .wait(until: Self.at(1)))
        #expect(breaker.passage(now: Self.at(1)).0 == .probe)
        // One probe at a time: everyone else waits for its answer.
        #expect(breaker.passage(now: Self.at(1)).0 == .wait(until: nil))
        #expect(breaker.probed(ok: false, reason: "HTTP 401 bad_signature", now: Self.at(1.1)) == nil)
        #expect(breaker.passage(now: Self.at(2)).0 == .wait(until: Self.at(3.1)))
        #expect(breaker.passage(now: Self.at(3.1)).0 == .probe)
        _ = breaker.probed(ok: false, reason: nil, now: Self.at(3.1))
        #expect(breaker.passage(now: Self.at(4)).0 == .wait(until: Self.at(7.1)))
        #expect(breaker.passage(now: Self.at(7.1)).0 == .probe)
        #expect(
            breaker.probed(ok: true, reason: nil, now: Self.at(7.2)) == .closed(after: .milliseconds(7200), probes: 3))
        #expect(breaker.passage(now: Self.at(7.3)).0 == .go)
    }

    @Test func probesBackOffToTheMaximum() {
        var breaker = CircuitBreaker(settings: .init(firstProbe: .seconds(1), maxProbe: .seconds(4)))
        _ = breaker.observe(.systemic(reason: "x"), now: Self.at(0))
        var now = 1.0
        var gaps: [Double] = []
        for _ in 0..<5 {
            guard case (.probe, _) = breaker.passage(now: Self.at(now)) else {
                Issue.record("no probe at \(now)"); return
            }
            _ = breaker.probed(ok: false, reason: nil, now: Self.at(now))
            guard case (.wait(let until?), _) = breaker.passage(now: Self.at(now)) else { return }
            let gap = Double(Self.at(now).duration(to: until).components.seconds)
            gaps.append(gap)
            now += gap
        }
        #expect(gaps == [2, 4, 4, 4, 4])
    }

    @Test func theSame4xxForDifferentAccountsInARowOpensIt() {
        var breaker = CircuitBreaker(settings: .init(sameAnswerAccounts: 3))
        let bad = { (account: String) in
            CircuitBreaker.Signal.rejected(status: 400, error: "invalid body", account: account)
        }
        #expect(breaker.observe(bad("a"), now: Self.at(0)) == nil)
        // The same account again is that account's problem, not the server's.
        #expect(breaker.observe(bad("a"), now: Self.at(0)) == nil)
        #expect(breaker.observe(bad("b"), now: Self.at(0)) == nil)
        // A success in between starts the count again.
        #expect(breaker.observe(.healthy, now: Self.at(0)) == nil)
        #expect(breaker.observe(bad("c"), now: Self.at(0)) == nil)
        #expect(breaker.observe(.rejected(status: 404, error: "unknown token", account: "d"), now: Self.at(0)) == nil)
        #expect(breaker.observe(bad("e"), now: Self.at(0)) == nil)
        #expect(breaker.observe(bad("f"), now: Self.at(0)) == nil)
        #expect(
            breaker.observe(bad("g"), now: Self.at(0))
                == .opened(reason: "HTTP 400 invalid body for 3 different accounts in a row"))
    }

    @Test func sustainedUnavailabilityOpensItButABlipDoesNot() {
        var breaker = CircuitBreaker(settings: .init(unavailableStreak: 3, unavailableFor: .seconds(2)))
        for _ in 0..<10 { #expect(breaker.observe(.unavailable(reason: "HTTP 503"), now: Self.at(0)) == nil) }
        #expect(breaker.observe(.healthy, now: Self.at(0.5)) == nil)
        #expect(breaker.observe(.unavailable(reason: "HTTP 503"), now: Self.at(1)) == nil)
        #expect(breaker.observe(.unavailable(reason: "HTTP 503"), now: Self.at(2)) == nil)
        #expect(
            breaker.observe(.unavailable(reason: "HTTP 503"), now: Self.at(3))
                == .opened(reason: "unavailable: HTTP 503, 3 failures in a row"))
        // A request already in flight when it opened comes back fine: the server works.
        #expect(breaker.observe(.healthy, now: Self.at(3.5)) == .closed(after: .milliseconds(500), probes: 0))
    }

    @Test func retryAfterHoldsTheWholeServerUntilThenWithoutAProbe() {
        var breaker = CircuitBreaker()
        #expect(
            breaker.observe(.retryAfter(until: Self.at(5), reason: "HTTP 429 Retry-After 5 s"), now: Self.at(0))
                == .opened(reason: "HTTP 429 Retry-After 5 s"))
        #expect(breaker.passage(now: Self.at(1)).0 == .wait(until: Self.at(5)))
        let (passage, transition) = breaker.passage(now: Self.at(5))
        #expect(passage == .go)
        #expect(transition == .closed(after: .seconds(5), probes: 0))
    }

    @Test func anAbandonedProbeIsTakenOverAtOnce() {
        var breaker = CircuitBreaker()
        _ = breaker.observe(.systemic(reason: "x"), now: Self.at(0))
        #expect(breaker.passage(now: Self.at(1)).0 == .probe)
        breaker.probeAbandoned()
        #expect(breaker.passage(now: Self.at(1)).0 == .probe)
    }
}
