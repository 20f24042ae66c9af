/// The `status` of an outcome record (output contract v1).
public enum OutcomeStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// MMOLove advanced the referral (or took the event: any 2xx with `"ok":true`).
    case advanced
    /// MMOLove had already received this exact event: a safe replay.
    case duplicate
    /// Another referrer registered this referee first; never retried.
    case firstTouchConflict = "first_touch_conflict"
    /// A dry run passed verification.
    case test
    /// A per-event failure (400, 404 for the token, 422 after the wait, no usable server):
    /// also dead-lettered.
    case rejected
    /// Retryable failures exhausted the configured attempt limit: also dead-lettered.
    case failed
    /// A `qualified` not sent: its account's `registered` ended `first_touch_conflict`,
    /// `rejected` or `failed` (the referee store knows), so MMOLove must not be asked to qualify
    /// it. `reward: false`, `error` says how the registration ended; not dead-lettered.
    case registrationFailed = "registration_failed"

    /// Whether this status also sends a dead-letter copy of the source record.
    public var isDeadLettered: Bool { self == .rejected || self == .failed }
}
