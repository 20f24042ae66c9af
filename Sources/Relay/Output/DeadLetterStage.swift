/// Where a record failed, in the `__connect.errors.stage` header of its dead letter.
public enum DeadLetterStage: String, Sendable, Hashable, CaseIterable {
    /// The record could not be decoded (not JSON, missing `account_id`, wrong types).
    case decode
    /// The referral event was rejected by MMOLove or could not be sent (see the HTTP status).
    case deliver
}
