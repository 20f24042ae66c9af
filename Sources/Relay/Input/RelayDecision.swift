/// What the relay does with one consumed record, decided by ``RelayInputMapper``.
public enum RelayDecision: Sendable, Hashable {
    /// A referral event to send to MMOLove; it ends with exactly one outcome record.
    case deliver(DeliveryRequest)
    /// Not a referral event: counted, settled at once, no outcome.
    case skip(SkipReason)
    /// Malformed input (not JSON, missing `account_id`, wrong types): a dead-letter copy with
    /// stage `decode` and this reason, no outcome; never blocks the partition.
    case malformed(reason: String)

    /// Whether the record is not a referral event.
    var isSkip: Bool {
        if case .skip = self { return true }
        return false
    }

    /// The account of a `registered` to send (`nil` for anything else).
    var registeredAccountID: String? {
        guard case .deliver(let request) = self, request.kind == .registered else { return nil }
        return request.accountID
    }
}

/// Why a well-formed record is not a referral event (a metrics label, so a closed set).
public enum SkipReason: String, Sendable, Hashable, CaseIterable {
    /// No non-empty `mmref`: the player was not referred.
    case notReferred = "not_referred"
    /// A milestone outside the configured qualifying list.
    case notQualifying = "not_qualifying"
}
