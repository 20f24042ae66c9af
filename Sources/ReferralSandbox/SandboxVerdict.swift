/// What the sandbox decided for one request; the label used in the log and the counters.
public enum SandboxVerdict: String, Sendable, Hashable, Codable, CaseIterable {
    case advanced
    case duplicate
    case firstTouchConflict = "first_touch_conflict"
    case test
    case accepted
    case malformedSignatureHeader = "malformed_signature_header"
    case invalidBody = "invalid_body"
    case unknownServer = "unknown_server"
    case referralsNotEnabled = "referrals_not_enabled"
    case noSecret = "no_secret"
    case badSignature = "bad_signature"
    case staleTimestamp = "stale_timestamp"
    case unknownToken = "unknown_token"
    case invalidTransition = "invalid_transition"
    case faultFailure = "fault_failure"
    case faultThrottle = "fault_throttle"
    case faultDrop = "fault_drop"
    case notFound = "not_found"
}
