import Kafka

/// One record of the dead-letter topic, read back: the `__connect.errors.*` context that
/// ``DeadLetter/record(for:topic:stage:reason:httpStatus:)`` wrote, parsed leniently.
///
/// Nothing here may fail: a dead letter written by hand or by an older version may lack any
/// header, and the tools must show or skip it, never crash on it.
public struct DeadLetterEntry: Sendable, Hashable {
    /// The dead letter as read from the dead-letter topic.
    public var message: KafkaConsumerMessage
    /// `__connect.errors.stage` as written (`nil` when absent).
    public var stageText: String?
    /// `__connect.errors.exception.message`, or an empty string when absent.
    public var reason: String
    /// `__connect.errors.topic` (`nil` when absent or not UTF-8).
    public var originalTopic: String?
    /// `__connect.errors.partition`, when a number.
    public var originalPartition: Int32?
    /// `__connect.errors.offset`, when a number.
    public var originalOffset: Int64?
    /// `__connect.errors.http.status`, when a number.
    public var httpStatus: Int?
    /// The values of the original record's `referral-relay.redrive.run` headers: the runs that
    /// already re-drove this record before it failed again.
    public var redriveRuns: [String]
    /// `__connect.errors.truncated`: what the dead letter lost to fit (`nil` when whole).
    public var truncated: String?

    /// Parses the context headers of `message`.
    public init(message: KafkaConsumerMessage) {
        self.message = message
        var context: [String: String] = [:]
        var runs: [String] = []
        for header in message.headers {
            guard let bytes = header.value, let text = String(validating: bytes, as: UTF8.self) else { continue }
            if header.key.hasPrefix(DeadLetter.headerPrefix) {
                // The relay's context headers come last; should a name repeat, the last one wins.
                context[String(header.key.dropFirst(DeadLetter.headerPrefix.count))] = text
            } else if header.key == DeadLetter.redriveRunHeader {
                runs.append(text)
            }
        }
        self.stageText = context["stage"]
        self.reason = context["exception.message"] ?? ""
        self.originalTopic = context["topic"]
        self.originalPartition = context["partition"].flatMap { Int32($0) }
        self.originalOffset = context["offset"].flatMap { Int64($0) }
        self.httpStatus = context["http.status"].flatMap { Int($0) }
        self.redriveRuns = runs
        self.truncated = context["truncated"]
    }

    /// The stage, when it is one the relay writes.
    public var stage: DeadLetterStage? { stageText.flatMap(DeadLetterStage.init(rawValue:)) }

    /// The dead letter's own record timestamp (when it was dead-lettered), in milliseconds
    /// since the epoch.
    public var timestamp: Int64? { message.timestamp?.milliseconds }

    /// `<dlq topic>/<partition>/<offset>`: where this dead letter sits.
    public var location: String { "\(message.topic)/\(message.partition)/\(message.offset)" }

    /// `<topic>/<partition>/<offset>` of the original record, with `?` for what is unknown.
    public var originalLocation: String {
        let partition = originalPartition.map(String.init) ?? "?"
        let offset = originalOffset.map(String.init) ?? "?"
        return "\(originalTopic ?? "?")/\(partition)/\(offset)"
    }
}
