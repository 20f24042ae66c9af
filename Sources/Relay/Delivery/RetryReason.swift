/// Why an attempt is repeated (a metrics label, so a closed set).
public enum RetryReason: String, Sendable, Hashable, CaseIterable {
    /// No HTTP response: refused, reset, timeout, TLS (status 0).
    case transport
    /// 5xx other than 503.
    case serverError = "server_error"
    /// 408, 429 or 503: the endpoint asks us to slow down (Retry-After honoured).
    case throttled
    /// 401, 404 naming the server/referrals/secret, unknown 4xx/3xx: configuration is wrong; held.
    case systemic
    /// 422 on `qualified` within the ordering wait: its `registered` may not have landed yet.
    case invalidTransition = "invalid_transition"
    /// Publishing the outcome or dead letter to Kafka failed and is retried.
    case publish
}
