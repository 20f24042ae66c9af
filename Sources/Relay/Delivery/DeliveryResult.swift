import Foundation

/// How the delivery of one ``DeliveryRequest`` ended: the facts an outcome record carries.
public struct DeliveryResult: Sendable, Hashable {
    /// The outcome status.
    public var status: OutcomeStatus
    /// The HTTP status of the last attempt; `nil` when nothing was sent (rejected before sending)
    /// and 0 after a transport failure.
    public var httpStatus: Int?
    /// The reason of a `rejected` or `failed` status (MMOLove's `error`, or ours); never a secret.
    public var error: String?
    /// MMOLove's `referral_id`, when it returned one.
    public var referralID: String?
    /// MMOLove's `state`, when it returned one.
    public var state: String?
    /// HTTP attempts made (0 when rejected before sending).
    public var attempts: Int
    /// When the first attempt started; `nil` when nothing was sent.
    public var firstAttemptAt: Date?
    /// When the result was decided.
    public var completedAt: Date

    /// Creates a result.
    public init(
        status: OutcomeStatus,
        httpStatus: Int?,
        error: String? = nil,
        referralID: String? = nil,
        state: String? = nil,
        attempts: Int,
        firstAttemptAt: Date?,
        completedAt: Date
    ) {
        self.status = status
        self.httpStatus = httpStatus
        self.error = error
        self.referralID = referralID
        self.state = state
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
        self.completedAt = completedAt
    }
}
