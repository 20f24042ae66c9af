/// What the sandbox decided for one request; the label used in the log and the counters.
public enum SandboxVerdict: String, Sendable, Hashable, Codable, CaseIterable {
    /// 200: the referral advanced (or an idempotent no-op into the same state).
    case advanced
    /// 200: this (token, event, server_event_id) already arrived.
    case duplicate
    /// 200: another token already registered this referee.
    case firstTouchConflict = "first_touch_conflict"
    /// 200: a `test:true` dry run passed.
    case test
    /// 200: taken without a state change (`reversed`).
    case accepted
    /// 400: the signature header is missing or malformed.
    case malformedSignatureHeader = "malformed_signature_header"
    /// 400: the body is not JSON, or a field is missing, empty or of the wrong type.
    case invalidBody = "invalid_body"
    /// 404: no such `server_id`.
    case unknownServer = "unknown_server"
    /// 404: referrals are switched off for the server.
    case referralsNotEnabled = "referrals_not_enabled"
    /// 404: the server has no secret configured.
    case noSecret = "no_secret"
    /// 401: the MAC does not match (wrong secret, bytes or key id).
    case badSignature = "bad_signature"
    /// 401: `t` is outside the replay window.
    case staleTimestamp = "stale_timestamp"
    /// 404: the token is unknown, expired or bound to another server.
    case unknownToken = "unknown_token"
    /// 422: the event is illegal from the referral's state.
    case invalidTransition = "invalid_transition"
    /// An injected 5xx.
    case faultFailure = "fault_failure"
    /// An injected 429/503 with `Retry-After`.
    case faultThrottle = "fault_throttle"
    /// An injected dropped connection (no answer).
    case faultDrop = "fault_drop"
    /// An injected 429/503: more than `max_concurrent` requests were in flight.
    case faultOverload = "fault_overload"
}
