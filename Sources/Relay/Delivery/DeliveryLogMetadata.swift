/// Metadata keys of the deliverer's log lines (values carry data, messages stay constant).
enum DeliveryLogMetadata {
    /// The account id (debug logs only).
    static let account = "relay.account"
    /// The referral event kind.
    static let event = "relay.event"
    /// The `server_event_id`.
    static let serverEventID = "relay.server_event_id"
    /// The HTTP status of an attempt (0: no response).
    static let httpStatus = "relay.http_status"
    /// MMOLove's error, or the transport failure.
    static let error = "relay.error"
    /// The attempt number.
    static let attempt = "relay.attempt"
    /// Why an attempt is repeated.
    static let retryReason = "relay.retry_reason"
    /// The wait before the next attempt.
    static let delay = "relay.delay"
    /// The MMOLove server id.
    static let serverID = "relay.server_id"
    /// A server's adaptive concurrency limit.
    static let concurrencyLimit = "relay.concurrency_limit"
}
