extension KafkaError {
    /// What a failed ``KafkaProducer/send(_:)`` of one record means for that record.
    public enum RecordFailure: Sendable, Hashable {
        /// The client is unusable (``KafkaError/isFatal``); nothing can be sent any more.
        case fatal
        /// This record can never be written as it is (too large, rejected by the topic's
        /// validation): sending the same bytes again fails again, forever.
        case permanent
        /// The topic or partition is unknown: permanent if it lasts (a missing or deleted
        /// topic), transient while a new topic's metadata propagates. The caller decides after a
        /// grace period.
        case unknownTopic
        /// The broker or the network is down, slow or moving: the same record may succeed later.
        case transient
    }

    /// The codes a record cannot get past by being sent again.
    static let permanentRecordCodes: Set<Code> = [
        .messageSizeTooLarge, .recordListTooLarge, .invalidMessageSize, .corruptMessage, .invalidRecord,
        .invalidTimestamp,
    ]

    /// The codes that say the record (not the broker) is too large: a smaller record may pass.
    static let tooLargeCodes: Set<Code> = [.messageSizeTooLarge, .recordListTooLarge, .invalidMessageSize]

    /// The codes of an unknown topic or partition.
    static let unknownTopicCodes: Set<Code> = [.unknownTopic, .unknownTopicOrPartition, .unknownPartition]

    /// What this error, from sending one record, means for that record. Everything not known to
    /// be permanent (authorisation, timeouts, a broker that is down, codes this list does not
    /// name) is ``RecordFailure/transient``: a wrong "permanent" loses a record, a wrong
    /// "transient" only holds it.
    public var recordFailure: RecordFailure {
        if self.isFatal { return .fatal }
        if Self.permanentRecordCodes.contains(self.code) { return .permanent }
        if Self.unknownTopicCodes.contains(self.code) { return .unknownTopic }
        return .transient
    }

    /// Whether this record can never be sent as it is (see ``recordFailure``).
    public var isPermanentForRecord: Bool { self.recordFailure == .permanent }

    /// Whether the record was refused for its size: a smaller record may be sent.
    public var isRecordTooLarge: Bool { !self.isFatal && Self.tooLargeCodes.contains(self.code) }
}
