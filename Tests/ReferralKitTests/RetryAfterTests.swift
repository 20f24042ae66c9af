import ReferralKit
import Testing

@Suite("RetryAfter")
struct RetryAfterTests {
    @Test func parsesDelaySeconds() {
        #expect(RetryAfter(headerValue: " 120 ") == .seconds(120))
        #expect(RetryAfter(headerValue: "0") == .seconds(0))
    }

    @Test func parsesHTTPDates() {
        #expect(RetryAfter(headerValue: "Sun, 06 Nov 1994 08:49:37 GMT") == .date(784_111_777))
        #expect(RetryAfter(headerValue: "Sunday, 06-Nov-94 08:49:37 GMT") == .date(784_111_777))
        #expect(RetryAfter(headerValue: "Sun Nov  6 08:49:37 1994") == .date(784_111_777))
    }

    @Test func rejectsGarbage() {
        #expect(RetryAfter(headerValue: "") == nil)
        #expect(RetryAfter(headerValue: "-5") == nil)
        #expect(RetryAfter(headerValue: "tomorrow") == nil)
    }

    @Test func hugeValuesAreCappedNotTrustedAndNeverTrap() {
        #expect(RetryAfter.seconds(999_999_999).delay(now: 0) == RetryAfter.defaultMaximumDelay)
        #expect(RetryAfter.seconds(7_200).delay(now: 0, maximum: 600) == 600)
        #expect(RetryAfter.date(.max).delay(now: -5) == RetryAfter.defaultMaximumDelay)
        #expect(RetryAfter.date(.min).delay(now: 5) == 0)
        let tooManyDigits = RetryAfter(headerValue: "99999999999999999999999")
        #expect(tooManyDigits == .seconds(.max))
        #expect(tooManyDigits?.delay(now: 1_000) == RetryAfter.defaultMaximumDelay)
        let farFuture = RetryAfter(headerValue: "Wed, 21 Oct 99999999999 07:28:00 GMT")
        #expect(farFuture == nil || farFuture?.delay(now: 0) == RetryAfter.defaultMaximumDelay)
        #expect(RetryAfter(headerValue: "Wed, 21 Oct 2126 07:28:00 GMT")?.delay(now: 0) == 3600)
    }

    @Test func delayIsNeverNegative() {
        #expect(RetryAfter.seconds(5).delay(now: 0) == 5)
        #expect(RetryAfter.date(100).delay(now: 40) == 60)
        #expect(RetryAfter.date(100).delay(now: 400) == 0)
    }
}
