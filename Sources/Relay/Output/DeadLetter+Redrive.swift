import Kafka

extension DeadLetter {
    /// The header naming the `dlq redrive` run that re-produced a record.
    public static let redriveRunHeader = "referral-relay.redrive.run"
    /// The header naming the dead letter a re-produced record came from: `<dlq topic>/<partition>/<offset>`.
    public static let redriveSourceHeader = "referral-relay.redrive.source"

    /// The record that re-drives `message` (a dead letter) to its original topic, or `nil`
    /// when it has no usable `__connect.errors.topic` (absent, not UTF-8, not a valid topic name).
    ///
    /// The key and value are copied byte for byte; the headers are the original record's, in
    /// order, minus every `__connect.errors.*` header and minus the redrive headers of an
    /// earlier run (so a record carries only the latest run's), followed by
    /// ``redriveRunHeader`` = `run` and ``redriveSourceHeader``. The record goes to the original
    /// partition when `__connect.errors.partition` names one, so that an account's events stay
    /// on one partition whatever partitioner the original producer used; the timestamp is left
    /// to the producer (now): it is a new record.
    ///
    /// - Parameters:
    ///   - message: A record read from the dead-letter topic.
    ///   - run: The redrive run's name.
    public static func redriveRecord(for message: KafkaConsumerMessage, run: String) -> KafkaProducerRecord? {
        let entry = DeadLetterEntry(message: message)
        guard let topic = entry.originalTopic, Self.isValidTopicName(topic) else { return nil }
        var headers = message.headers.filter {
            !$0.key.hasPrefix(headerPrefix) && $0.key != redriveRunHeader && $0.key != redriveSourceHeader
        }
        headers.append(KafkaHeader(key: redriveRunHeader, value: Array(run.utf8)))
        headers.append(KafkaHeader(key: redriveSourceHeader, value: Array(entry.location.utf8)))
        return KafkaProducerRecord(
            topic: topic,
            partition: entry.originalPartition.flatMap { $0 >= 0 ? $0 : nil },
            key: message.key,
            value: message.value,
            headers: headers
        )
    }

    /// Whether `name` is a legal Kafka topic name: 1 to 249 of `[A-Za-z0-9._-]`.
    static func isValidTopicName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 249
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }
}
