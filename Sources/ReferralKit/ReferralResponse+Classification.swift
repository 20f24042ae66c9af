import Foundation

extension ReferralResponse {
    /// Classifies a response by status code first, then by its body where the contract names one.
    ///
    /// Unknown bodies are decided by status code, conservatively: an unknown 404 or any other
    /// unknown 4xx is ``systemic(status:error:)``, never ``rejected(status:error:)``, because
    /// rejecting drops the event for good while holding it only delays it; a misconfigured endpoint
    /// or proxy answering 403/404/405 for every request must not dead-letter the whole stream.
    /// 400 stays per-event (the contract says it judges this request's bytes) when MMOLove says
    /// so in a JSON body, except the malformed-signature-header body, which means our signing is
    /// broken for every event; a 400 without a JSON object body is not MMOLove's (a proxy, a
    /// WAF, a load balancer answering HTML) and says nothing about the event, so it is held too.
    /// A 2xx counts as taken only when its body is a JSON object with `"ok":true`, as every
    /// documented 200 body is: a 2xx with `"ok":false`, an HTML page or no body at all is what a
    /// wrong endpoint, a captive portal or a catch-all proxy answers, so it is held as
    /// ``systemic(status:error:)`` instead of being marked delivered.
    ///
    /// - Parameters:
    ///   - status: The HTTP status, or 0 for a transport failure.
    ///   - body: The response body bytes.
    ///   - retryAfter: The `Retry-After` header value, if any.
    /// - Returns: The classification.
    public static func classify(status: Int, body: some Collection<UInt8>, retryAfter: String? = nil) -> Self {
        let json = ResponseBody(body)
        switch status {
        case 200..<300:
            return Self.classifySuccess(status: status, json: json)
        case 400:
            if let error = json.error, error.localizedCaseInsensitiveContains("signature") {
                return .systemic(status: status, error: error)
            }
            guard json.isObject else { return .systemic(status: status, error: "HTTP 400 without a JSON body") }
            return .rejected(status: status, error: json.error)
        case 401:
            return .systemic(status: status, error: json.error)
        case 404:
            return Self.classifyNotFound(error: json.error)
        case 408, 429:
            return .retryable(status: status, retryAfter: retryAfter.flatMap(RetryAfter.init(headerValue:)))
        case 422:
            return .invalidTransition(error: json.error)
        case 500..<600:
            return .retryable(status: status, retryAfter: retryAfter.flatMap(RetryAfter.init(headerValue:)))
        case 0:
            return .retryable(status: 0, retryAfter: nil)
        default:
            // 1xx/3xx/other 4xx: nothing the contract describes, so hold rather than drop.
            return .systemic(status: status, error: json.error)
        }
    }

    private static func classifySuccess(status: Int, json: ResponseBody) -> Self {
        guard json.ok == true else {
            return .systemic(status: status, error: json.error)
        }
        if json.duplicate == true { return .duplicate }
        if json.ignored == "first_touch_conflict" { return .firstTouchConflict }
        if json.test == true { return .test }
        if let referralID = json.referralID, let state = json.state.flatMap(State.init(rawValue:)) {
            return .advanced(referralID: referralID, state: state)
        }
        return .accepted(status: status)
    }

    /// 404 is per-event only when it names the token; server, referrals, secret or an unknown body
    /// are systemic (see ``classify(status:body:retryAfter:)`` for why unknown is held).
    private static func classifyNotFound(error: String?) -> Self {
        guard let error else { return .systemic(status: 404, error: nil) }
        let lowered = error.lowercased()
        let namesConfiguration = ["server", "referral", "secret"].contains { lowered.contains($0) }
        if lowered.contains("token") && !namesConfiguration {
            return .rejected(status: 404, error: error)
        }
        return .systemic(status: 404, error: error)
    }
}
