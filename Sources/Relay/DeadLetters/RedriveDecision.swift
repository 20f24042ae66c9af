/// What `dlq redrive` does with one dead letter.
public enum RedriveDecision: Hashable, Sendable {
    /// The filter does not select it: passed over, not counted as matched.
    case notMatched
    /// Re-produce it to `topic`.
    case redrive(topic: String)
    /// Selected, but not re-produced, for this reason (counted by reason in the summary).
    case skip(RedriveSkipReason)
}

/// Why a selected dead letter is not re-driven. Each one is counted by its ``description``.
public enum RedriveSkipReason: Hashable, Sendable, CustomStringConvertible {
    /// The original record already carries this run's `referral-relay.redrive.run` header: this
    /// run re-drove it, it failed again and came back.
    case alreadyRedriven
    /// No `__connect.errors.topic` header, or one that is not a valid topic name.
    case noOriginalTopic
    /// `__connect.errors.topic` names the dead-letter topic itself.
    case originalIsDeadLetterTopic
    /// The original topic no longer exists in the cluster.
    case originalTopicMissing(String)
    /// The dead letter holds only part of the original (`__connect.errors.truncated`): re-driven,
    /// the cut record would only fail again.
    case truncated

    public var description: String {
        switch self {
        case .alreadyRedriven: "already re-driven by this run"
        case .noOriginalTopic: "no usable __connect.errors.topic header"
        case .originalIsDeadLetterTopic: "__connect.errors.topic is the dead-letter topic"
        case .originalTopicMissing(let topic): "original topic '\(topic)' does not exist"
        case .truncated: "holds only part of the original (__connect.errors.truncated)"
        }
    }
}
