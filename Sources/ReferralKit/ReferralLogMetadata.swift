/// The log metadata keys ReferralKit uses, in one place so dashboards and tests agree.
enum ReferralLogMetadata {
    /// The HTTP status of a response.
    static let status = "referral.status"
    /// The underlying transport error.
    static let error = "referral.error"
}
