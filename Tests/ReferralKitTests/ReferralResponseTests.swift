import ReferralKit
import Testing

/// One row of the contract table and the classification it must get.
struct ClassificationRow: Sendable, CustomTestStringConvertible {
    var status: Int
    var body: String
    var retryAfter: String?
    var expected: ReferralResponse
    var final: Bool
    var retryable: Bool
    var perEvent: Bool
    var systemic: Bool

    var testDescription: String { "\(self.status) \(self.body)" }

    static let all: [ClassificationRow] = [
        .init(
            200, #"{"ok":true,"referral_id":"ref_1","state":"registered"}"#,
            .advanced(referralID: "ref_1", state: .registered), final: true),
        .init(
            200, #"{"ok":true,"referral_id":"ref_1","state":"qualified"}"#,
            .advanced(referralID: "ref_1", state: .qualified), final: true),
        .init(200, #"{"ok":true,"duplicate":true}"#, .duplicate, final: true),
        .init(200, #"{"ok":true,"ignored":"first_touch_conflict"}"#, .firstTouchConflict, final: true),
        .init(200, #"{"ok":true,"test":true}"#, .test, final: true),
        .init(200, #"{"ok":true}"#, .accepted(status: 200), final: true),
        .init(202, #"{"ok":true,"queued":true}"#, .accepted(status: 202), final: true),
        // A 2xx that does not say ok:true is a wrong endpoint or proxy, never a delivery.
        .init(200, "not json at all", .systemic(status: 200, error: nil), systemic: true),
        .init(200, "<html>Welcome to MMOLove</html>", .systemic(status: 200, error: nil), systemic: true),
        .init(202, "", .systemic(status: 202, error: nil), systemic: true),
        .init(200, #"{"ok":false}"#, .systemic(status: 200, error: nil), systemic: true),
        .init(
            200, #"{"ok":false,"error":"storage unavailable"}"#, .systemic(status: 200, error: "storage unavailable"),
            systemic: true),
        .init(200, #"{"duplicate":true}"#, .systemic(status: 200, error: nil), systemic: true),
        .init(200, #"[{"ok":true}]"#, .systemic(status: 200, error: nil), systemic: true),
        .init(
            400, #"{"error":"body is not valid JSON"}"#, .rejected(status: 400, error: "body is not valid JSON"),
            final: true, perEvent: true),
        .init(
            400, #"{"error":"missing field: token"}"#, .rejected(status: 400, error: "missing field: token"),
            final: true, perEvent: true),
        // Not MMOLove's answer (a proxy's HTML page): held, never a rejection of the event.
        .init(
            400, "<html>bad</html>", .systemic(status: 400, error: "HTTP 400 without a JSON body"), systemic: true),
        .init(400, "", .systemic(status: 400, error: "HTTP 400 without a JSON body"), systemic: true),
        .init(400, "{}", .rejected(status: 400, error: nil), final: true, perEvent: true),
        .init(
            400, #"{"error":"missing or malformed X-MMOLove-Signature header"}"#,
            .systemic(status: 400, error: "missing or malformed X-MMOLove-Signature header"), systemic: true),
        .init(401, #"{"error":"bad_signature"}"#, .systemic(status: 401, error: "bad_signature"), systemic: true),
        .init(401, #"{"error":"stale_timestamp"}"#, .systemic(status: 401, error: "stale_timestamp"), systemic: true),
        .init(401, "", .systemic(status: 401, error: nil), systemic: true),
        .init(
            404, #"{"error":"unknown token"}"#, .rejected(status: 404, error: "unknown token"), final: true,
            perEvent: true),
        .init(
            404, #"{"error":"token expired"}"#, .rejected(status: 404, error: "token expired"), final: true,
            perEvent: true),
        .init(404, #"{"error":"unknown server"}"#, .systemic(status: 404, error: "unknown server"), systemic: true),
        .init(
            404, #"{"error":"referrals not enabled"}"#, .systemic(status: 404, error: "referrals not enabled"),
            systemic: true),
        .init(
            404, #"{"error":"no secret configured"}"#, .systemic(status: 404, error: "no secret configured"),
            systemic: true),
        .init(404, #"{"error":"no secret"}"#, .systemic(status: 404, error: "no secret"), systemic: true),
        .init(404, "<html>Not Found</html>", .systemic(status: 404, error: nil), systemic: true),
        .init(404, #"{"error":"something new"}"#, .systemic(status: 404, error: "something new"), systemic: true),
        .init(403, #"{"error":"forbidden"}"#, .systemic(status: 403, error: "forbidden"), systemic: true),
        .init(301, "", .systemic(status: 301, error: nil), systemic: true),
        .init(
            422, #"{"error":"invalid transition"}"#, .invalidTransition(error: "invalid transition"), retryable: true,
            perEvent: true),
        .init(500, "oops", .retryable(status: 500, retryAfter: nil), retryable: true),
        .init(502, "", .retryable(status: 502, retryAfter: nil), retryable: true),
        .init(0, "", .retryable(status: 0, retryAfter: nil), retryable: true),
        .init(429, "", retryAfter: "7", .retryable(status: 429, retryAfter: .seconds(7)), retryable: true),
        .init(
            503, "", retryAfter: "Wed, 21 Oct 2026 07:28:00 GMT",
            .retryable(status: 503, retryAfter: .date(1_792_567_680)), retryable: true),
        .init(429, "", retryAfter: "soon", .retryable(status: 429, retryAfter: nil), retryable: true),
    ]

    init(
        _ status: Int, _ body: String, retryAfter: String? = nil, _ expected: ReferralResponse, final: Bool = false,
        retryable: Bool = false, perEvent: Bool = false, systemic: Bool = false
    ) {
        self.status = status
        self.body = body
        self.retryAfter = retryAfter
        self.expected = expected
        self.final = final
        self.retryable = retryable
        self.perEvent = perEvent
        self.systemic = systemic
    }
}

@Suite("ReferralResponse classification")
struct ReferralResponseTests {
    @Test(arguments: ClassificationRow.all)
    func classifiesEveryContractRow(_ row: ClassificationRow) {
        let response = ReferralResponse.classify(
            status: row.status, body: Array(row.body.utf8), retryAfter: row.retryAfter)
        #expect(response == row.expected)
        #expect(response.isFinal == row.final)
        #expect(response.isRetryable == row.retryable)
        #expect(response.isPerEvent == row.perEvent)
        #expect(response.isSystemic == row.systemic)
        #expect(response.isAccepted == ((200..<300).contains(row.status) && !row.systemic))
    }

    @Test func sendResultCarriesStatusOkBodyAndClassification() {
        let result = SendResult(status: 200, body: Array(#"{"ok":true,"test":true}"#.utf8))
        #expect(result.ok)
        #expect(result.body == #"{"ok":true,"test":true}"#)
        #expect(result.response == .test)
        #expect(!SendResult(status: 401, body: []).ok)
    }
}
