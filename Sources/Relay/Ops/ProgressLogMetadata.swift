/// Metadata keys of the `relay progress` line, in one place so dashboards can rely on them.
enum ProgressLogMetadata {
    /// Seconds the counts cover (60, less for the last line before the relay stops).
    static let seconds = "relay.seconds"
    /// Records read from the input topics.
    static let read = "relay.read"
    /// Outcomes by event, then status.
    static let outcomes = "relay.outcomes"
    /// Attempts repeated by reason (`relay_delivery_retries_total`'s `reason`).
    static let retries = "relay.retries"
    /// Dead letters by stage.
    static let deadLetters = "relay.dead_letters"
    /// Records skipped by reason.
    static let skipped = "relay.skipped"
}
