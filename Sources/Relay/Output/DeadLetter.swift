import Kafka

/// Builds dead-letter records: the original key, value and headers, plus
/// `__connect.errors.*` context headers (in the manner of Kafka Connect).
public enum DeadLetter {
    /// The dead letter of `message` for `topic`.
    ///
    /// - Parameters:
    ///   - message: The source record, copied unchanged.
    ///   - topic: The dead-letter topic.
    ///   - stage: Where it failed.
    ///   - reason: Why (never a secret).
    ///   - httpStatus: The last HTTP status, for stage `deliver`.
    public static func record(
        for message: KafkaConsumerMessage,
        topic: String,
        stage: DeadLetterStage,
        reason: String,
        httpStatus: Int? = nil
    ) -> KafkaProducerRecord {
        fatalError("DeadLetter: not implemented yet")
    }
}
