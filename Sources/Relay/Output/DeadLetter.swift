import Kafka

/// Builds dead-letter records: the original key, value and headers, plus
/// `__connect.errors.*` context headers (in the manner of Kafka Connect; described by
/// `schemas/referral-dlq.v1.json`).
public enum DeadLetter {
    /// The value of the `__connect.errors.schema` header.
    public static let schemaName = "referral-dlq/v1"
    /// The value of the `__connect.errors.connector.name` header.
    public static let connectorName = "referral-relay"
    /// The prefix of the context headers; an original record's headers with it are dropped, so
    /// a dead letter that is replayed and fails again carries only the latest context.
    public static let headerPrefix = "__connect.errors."

    /// The dead letter of `message` for `topic`.
    ///
    /// - Parameters:
    ///   - message: The source record, copied unchanged.
    ///   - topic: The dead-letter topic.
    ///   - stage: Where it failed.
    ///   - reason: Why (never a secret).
    ///   - httpStatus: The last HTTP status, for stage `deliver`.
    ///   - replay: The backfill run that dead-lettered it (`__connect.errors.replay`), if any.
    ///   - trace: The trace context headers (`traceparent`, `tracestate`) to carry instead of the
    ///     original's (``RelayTracer/propagationHeaders(for:)``); kept like the context headers when
    ///     the dead letter is cut down. `nil`: the original's, copied like any other header.
    ///   - maxBytes: The largest record the producer may send (`message.max.bytes`); a dead
    ///     letter that would be larger keeps as much of the original as fits (see
    ///     ``DeadLetter/fitted(_:context:message:replacingTrace:maxBytes:)``). `nil`: no limit.
    public static func record(
        for message: KafkaConsumerMessage,
        topic: String,
        stage: DeadLetterStage,
        reason: String,
        httpStatus: Int? = nil,
        replay: String? = nil,
        trace: [KafkaHeader]? = nil,
        maxBytes: Int? = nil
    ) -> KafkaProducerRecord {
        let context =
            (trace ?? [])
            + self.contextHeaders(for: message, stage: stage, reason: reason, httpStatus: httpStatus, replay: replay)
        var headers = self.originalHeaders(of: message, replacingTrace: trace != nil)
        headers += context
        let record = KafkaProducerRecord(topic: topic, key: message.key, value: message.value, headers: headers)
        guard let maxBytes, record.sizeEstimate > maxBytes else { return record }
        return self.fitted(
            record, context: context, message: message, replacingTrace: trace != nil, maxBytes: maxBytes)
    }

    /// The headers of `message` a dead letter copies: all but the context headers, and but the
    /// trace context headers when the dead letter carries its own.
    static func originalHeaders(of message: KafkaConsumerMessage, replacingTrace: Bool) -> [KafkaHeader] {
        message.headers.filter {
            !$0.key.hasPrefix(headerPrefix) && !(replacingTrace && TraceHeaders.isTraceHeader($0.key))
        }
    }

    /// The `__connect.errors.*` headers of a dead letter.
    static func contextHeaders(
        for message: KafkaConsumerMessage,
        stage: DeadLetterStage,
        reason: String,
        httpStatus: Int?,
        replay: String?
    ) -> [KafkaHeader] {
        var headers: [KafkaHeader] = []
        headers.reserveCapacity(12)
        func add(_ name: String, _ value: String) {
            headers.append(KafkaHeader(key: headerPrefix + name, value: Array(value.utf8)))
        }
        add("topic", message.topic)
        add("partition", String(message.partition))
        add("offset", String(message.offset))
        if let timestamp = message.timestamp { add("timestamp", String(timestamp.milliseconds)) }
        add("stage", stage.rawValue)
        add("exception.message", reason.isEmpty ? "unknown" : Self.truncated(reason))
        if let httpStatus { add("http.status", String(httpStatus)) }
        add("connector.name", connectorName)
        add("schema", schemaName)
        if let replay { add("replay", replay) }
        return headers
    }

    /// The longest reason kept, in characters: a reason may quote an MMOLove error body, and a
    /// header is no place for a page of HTML.
    static let maxReasonLength = 500

    private static func truncated(_ reason: String) -> String {
        reason.count > maxReasonLength ? reason.prefix(maxReasonLength) + "…" : reason
    }
}
