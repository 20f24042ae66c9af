import Foundation
import ReferralKit
import Testing

@testable import Relay

/// The decision after each answer, with plain values: every classification's outcome, which
/// attempts count toward the limit, Retry-After, and the bounded 422 wait.
@Suite struct DeliveryAttemptsTests {
    let date = Date(timeIntervalSince1970: 1_700_000_000)
    let start = ContinuousClock.now
    let delivery = RelayConfiguration.Delivery(
        maxAttempts: 3,
        initialBackoff: .milliseconds(100),
        maxBackoff: .seconds(1),
        qualifiedWait: .seconds(10)
    )

    func answer(_ status: Int, _ body: String = "", retryAfter: String? = nil) -> DeliveryAnswer {
        .response(SendResult(status: status, body: Array(body.utf8), retryAfter: retryAfter))
    }

    /// One attempt, one decision.
    func decide(
        _ answer: DeliveryAnswer,
        kind: ReferralEvent.Kind = .registered,
        after elapsed: Duration = .zero,
        state: inout DeliveryAttempts
    ) -> DeliveryAttempts.Decision {
        state.begin(at: self.date)
        return state.decide(answer, now: self.start + elapsed, date: self.date, fraction: 1)
    }

    func settled(_ decision: DeliveryAttempts.Decision) -> DeliveryResult? {
        if case .settle(let result) = decision { return result }
        return nil
    }

    func once(_ answer: DeliveryAnswer, kind: ReferralEvent.Kind = .registered) -> DeliveryAttempts.Decision {
        var state = DeliveryAttempts(kind: kind, delivery: self.delivery)
        return self.decide(answer, kind: kind, state: &state)
    }

    @Test func acceptedAnswersSettleWithTheirStatus() throws {
        let advanced = try #require(
            self.settled(self.once(self.answer(200, #"{"ok":true,"referral_id":"ref_1","state":"registered"}"#))))
        #expect(advanced.status == .advanced)
        #expect(advanced.referralID == "ref_1")
        #expect(advanced.state == "registered")
        #expect(advanced.httpStatus == 200)
        #expect(advanced.attempts == 1)
        #expect(advanced.firstAttemptAt == self.date)
        #expect(advanced.error == nil)

        let accepted = try #require(self.settled(self.once(self.answer(202, #"{"ok":true}"#))))
        #expect(accepted.status == .advanced)
        #expect(accepted.referralID == nil && accepted.state == nil)
        #expect(accepted.httpStatus == 202)

        #expect(self.settled(self.once(self.answer(200, #"{"ok":true,"duplicate":true}"#)))?.status == .duplicate)
        #expect(
            self.settled(self.once(self.answer(200, #"{"ok":true,"ignored":"first_touch_conflict"}"#)))?.status
                == .firstTouchConflict)
        #expect(self.settled(self.once(self.answer(200, #"{"ok":true,"test":true}"#)))?.status == .test)
    }

    @Test func perEventFailuresAreRejectedWithMMOLovesError() throws {
        let badRequest = try #require(self.settled(self.once(self.answer(400, #"{"error":"invalid event"}"#))))
        #expect(badRequest.status == .rejected)
        #expect(badRequest.httpStatus == 400)
        #expect(badRequest.error == "invalid event")

        let token = try #require(self.settled(self.once(self.answer(404, #"{"error":"unknown token"}"#))))
        #expect(token.status == .rejected)
        #expect(token.httpStatus == 404)
        #expect(token.error == "unknown token")

        // MMOLove's 400 with a JSON body but no error: the status stands in for the reason.
        let bare = try #require(self.settled(self.once(self.answer(400, "{}"))))
        #expect(bare.error == "HTTP 400")
    }

    @Test func systemicAnswersAreHeldAndNeverCountTowardTheLimit() {
        var state = DeliveryAttempts(kind: .registered, delivery: self.delivery)
        let systemic = [
            self.answer(401, #"{"error":"bad_signature"}"#), self.answer(404, #"{"error":"unknown server"}"#),
            self.answer(404, #"{"error":"referrals not enabled"}"#), self.answer(403), self.answer(301),
            self.answer(200, #"{"ok":false}"#), self.answer(200, "<html>portal</html>"),
            self.answer(400, #"{"error":"missing or malformed X-MMOLove-Signature header"}"#),
        ]
        // Far more systemic answers than maxAttempts: still held, never failed.
        for answer in systemic + systemic {
            guard case .retry(let reason, let delay, let releasingLane) = self.decide(answer, state: &state) else {
                Issue.record("a systemic answer settled")
                return
            }
            #expect(reason == .systemic)
            #expect(delay <= .seconds(1))
            #expect(!releasingLane)
        }
        #expect(state.attempts == 16)
        #expect(state.retryableAttempts == 0)
    }

    @Test func retryableAnswersAreRetriedWithTheirReason() {
        let transport = DeliveryAnswer.transportFailure(ReferralError(.transportFailure, reason: "no response"))
        let cases: [(DeliveryAnswer, RetryReason)] = [
            (transport, .transport), (self.answer(500), .serverError), (self.answer(502), .serverError),
            (self.answer(503), .throttled), (self.answer(429), .throttled), (self.answer(408), .throttled),
        ]
        for (answer, expected) in cases {
            guard case .retry(let reason, _, let releasingLane) = self.once(answer) else {
                Issue.record("\(answer.status) settled")
                continue
            }
            #expect(reason == expected)
            #expect(!releasingLane)
        }
    }

    @Test func retryAfterIsALowerBoundOnTheWait() {
        guard case .retry(_, let delay, _) = self.once(self.answer(429, retryAfter: "5")) else {
            Issue.record("429 settled")
            return
        }
        #expect(delay == .seconds(5))
        let httpDate = "Tue, 14 Nov 2023 22:13:30 GMT"  // 10 s after `date`
        guard case .retry(_, let dateDelay, _) = self.once(self.answer(503, retryAfter: httpDate)) else {
            Issue.record("503 settled")
            return
        }
        #expect(dateDelay == .seconds(10))
    }

    @Test func exhaustingTheRetryableAttemptsFails() throws {
        var state = DeliveryAttempts(kind: .qualified, delivery: self.delivery)
        #expect(self.settled(self.decide(self.answer(401), state: &state)) == nil)
        #expect(self.settled(self.decide(self.answer(500), state: &state)) == nil)
        #expect(self.settled(self.decide(self.answer(401), state: &state)) == nil)
        #expect(self.settled(self.decide(self.answer(502), state: &state)) == nil)
        let transport = DeliveryAnswer.transportFailure(ReferralError(.transportFailure, reason: "connection reset"))
        let failed = try #require(self.settled(self.decide(transport, state: &state)))
        #expect(failed.status == .failed)
        #expect(failed.httpStatus == 0)
        #expect(failed.attempts == 5)
        #expect(failed.error == "gave up after 5 attempts; last: connection reset")
    }

    @Test func invalidTransitionOnRegisteredIsRejectedAtOnce() throws {
        let result = try #require(self.settled(self.once(self.answer(422, #"{"error":"invalid transition"}"#))))
        #expect(result.status == .rejected)
        #expect(result.httpStatus == 422)
        #expect(result.error == "invalid transition")
    }

    @Test func invalidTransitionOnQualifiedWaitsBoundedThenRejects() throws {
        var state = DeliveryAttempts(kind: .qualified, delivery: self.delivery)
        let invalid = self.answer(422, #"{"error":"invalid transition"}"#)
        guard case .retry(let reason, _, let releasingLane) = self.decide(invalid, after: .seconds(1), state: &state)
        else {
            Issue.record("first 422 settled")
            return
        }
        #expect(reason == .invalidTransition)
        #expect(releasingLane)
        // The wait counts from the first 422: 9.9 s later there are 0.1 s left, and the sleep
        // never runs past them.
        guard case .retry(_, let delay, _) = self.decide(invalid, after: .milliseconds(10_900), state: &state) else {
            Issue.record("422 within the wait settled")
            return
        }
        #expect(delay <= .milliseconds(100))
        let rejected = try #require(self.settled(self.decide(invalid, after: .seconds(11), state: &state)))
        #expect(rejected.status == .rejected)
        #expect(rejected.httpStatus == 422)
        #expect(rejected.attempts == 3)
        #expect(rejected.error?.contains("registered never landed") == true)
        #expect(rejected.error?.contains("invalid transition") == true)
    }
}

/// The 422 wait counts progress, not only the clock.
@Suite struct DeliveryAttemptsProgressTests {
    let date = Date(timeIntervalSince1970: 1_700_000_000)
    let start = ContinuousClock.now
    let refused = DeliveryAnswer.response(
        SendResult(status: 422, body: Array(#"{"ok":false,"error":"invalid transition"}"#.utf8), retryAfter: nil))

    @Test func theWaitDoesNotRunOutWhileTheRegisteredMayStillBeRead() {
        var attempts = DeliveryAttempts(
            kind: .qualified, delivery: RelayConfiguration.Delivery(qualifiedWait: .seconds(10)))
        // Far past the wait, but the account-created partitions are still behind the event.
        for minute in 0..<30 {
            attempts.begin(at: self.date)
            let decision = attempts.decide(
                self.refused, now: self.start + .seconds(60 * minute), date: self.date, fraction: 1,
                registeredMayStillArrive: true)
            guard case .retry(.invalidTransition, _, releasingLane: true) = decision else {
                Issue.record("minute \(minute): \(decision)")
                return
            }
        }
        // Caught up: the wait now counts from this answer on.
        let caughtUp = self.start + .seconds(1_800)
        attempts.begin(at: self.date)
        guard case .retry = attempts.decide(self.refused, now: caughtUp, date: self.date, fraction: 1) else {
            Issue.record("the wait must start when the input caught up, not at the first 422")
            return
        }
        attempts.begin(at: self.date)
        let last = attempts.decide(self.refused, now: caughtUp + .seconds(10), date: self.date, fraction: 1)
        guard case .settle(let result) = last else {
            Issue.record("the wait must run out 10 s after the input caught up: \(last)")
            return
        }
        #expect(result.status == .rejected)
    }
}
