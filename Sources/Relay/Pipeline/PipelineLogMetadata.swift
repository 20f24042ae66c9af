/// Metadata keys of the pipeline's log lines about one record, in one place so dashboards and
/// log queries can rely on them (values carry data, messages stay constant).
enum PipelineLogMetadata {
    /// The record's topic.
    static let topic = "relay.topic"
    /// The record's partition.
    static let partition = "relay.partition"
    /// The record's offset.
    static let offset = "relay.offset"
    /// A dead letter's stage (`decode` or `deliver`).
    static let stage = "relay.stage"
    /// Why a record was dead-lettered: the dead letter's `__connect.errors.exception.message`.
    static let reason = "relay.reason"
    /// The topic a dead letter was published to.
    static let deadLetterTopic = "relay.dlq_topic"
    /// What a dead letter had to leave out to fit (`__connect.errors.truncated`).
    static let truncated = "relay.truncated"
}
