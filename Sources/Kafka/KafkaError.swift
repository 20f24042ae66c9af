import CRDKafka

/// An error from the Kafka binding: librdkafka's code with its fatal and retriable flags, a
/// reason, and where in the binding it was raised.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// A librdkafka error code (`rd_kafka_resp_err_t`), extensible like librdkafka's own list.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The raw `rd_kafka_resp_err_t` value.
        public let rawValue: Int32

        /// Wraps a raw `rd_kafka_resp_err_t` value.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        init(_ err: rd_kafka_resp_err_t) { self.rawValue = err.rawValue }

        var rdValue: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: rawValue) }

        /// librdkafka's symbolic name, e.g. `_QUEUE_FULL` or `UNKNOWN_TOPIC_OR_PART`.
        public var name: String { String(cString: rd_kafka_err2name(rdValue)) }

        /// librdkafka's human-readable description of the code.
        public var description: String { String(cString: rd_kafka_err2str(rdValue)) }

        /// Local: the producer queue is full (`_QUEUE_FULL`).
        public static let queueFull = Code(RD_KAFKA_RESP_ERR__QUEUE_FULL)
        /// Local: an operation timed out (`_TIMED_OUT`).
        public static let timedOut = Code(RD_KAFKA_RESP_ERR__TIMED_OUT)
        /// Local: no broker could be reached, or a connection failed (`_TRANSPORT`).
        public static let transport = Code(RD_KAFKA_RESP_ERR__TRANSPORT)
        /// Local: a fatal error was raised; see ``KafkaError/isFatal`` (`_FATAL`).
        public static let fatal = Code(RD_KAFKA_RESP_ERR__FATAL)
        /// Local: an invalid argument or configuration (`_INVALID_ARG`).
        public static let invalidArgument = Code(RD_KAFKA_RESP_ERR__INVALID_ARG)
        /// Local: the client is shutting down or closed (`_DESTROY`).
        public static let closed = Code(RD_KAFKA_RESP_ERR__DESTROY)
        /// Local: the message timed out before delivery (`_MSG_TIMED_OUT`).
        public static let messageTimedOut = Code(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        /// Local: unknown partition (`_UNKNOWN_PARTITION`).
        public static let unknownPartition = Code(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        /// Local: a state precondition failed (`_STATE`).
        public static let state = Code(RD_KAFKA_RESP_ERR__STATE)
        /// Broker: the group is rebalancing (`REBALANCE_IN_PROGRESS`).
        public static let rebalanceInProgress = Code(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
        /// Broker: unknown topic or partition (`UNKNOWN_TOPIC_OR_PART`).
        public static let unknownTopicOrPartition = Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        /// Local: the topic is not in the cluster's metadata (`_UNKNOWN_TOPIC`).
        public static let unknownTopic = Code(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
        /// The record is larger than `message.max.bytes`: librdkafka's own check when producing,
        /// or the broker's (or the topic's `max.message.bytes`) answer (`MSG_SIZE_TOO_LARGE`).
        public static let messageSizeTooLarge = Code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        /// Broker: the batch is larger than the segment size (`RECORD_LIST_TOO_LARGE`).
        public static let recordListTooLarge = Code(RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE)
        /// Broker: the message has an invalid size (`INVALID_MSG_SIZE`).
        public static let invalidMessageSize = Code(RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE)
        /// Broker: the message failed its CRC or is otherwise corrupt (`INVALID_MSG`, Kafka's
        /// `CORRUPT_MESSAGE`).
        public static let corruptMessage = Code(RD_KAFKA_RESP_ERR_INVALID_MSG)
        /// Broker: the record failed the topic's validation, e.g. no key on a compacted topic
        /// (`INVALID_RECORD`).
        public static let invalidRecord = Code(RD_KAFKA_RESP_ERR_INVALID_RECORD)
        /// Broker: the record's timestamp is outside the topic's accepted range
        /// (`INVALID_TIMESTAMP`).
        public static let invalidTimestamp = Code(RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP)
    }

    /// librdkafka's error code.
    public var code: Code
    /// Whether the client instance is unusable: librdkafka raised a fatal error (for example an
    /// idempotent producer's sequence was broken). The client must be recreated.
    public var isFatal: Bool
    /// Whether repeating the operation may succeed.
    public var isRetriable: Bool
    /// What went wrong, in words; never contains a secret configuration value.
    public var reason: String
    /// The source file in the binding where the error was raised.
    public var file: String
    /// The source line in the binding where the error was raised.
    public var line: UInt

    /// Creates an error.
    public init(
        code: Code,
        reason: String,
        isFatal: Bool = false,
        isRetriable: Bool = false,
        file: String = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.reason = reason
        self.isFatal = isFatal
        self.isRetriable = isRetriable
        self.file = file
        self.line = line
    }

    public var description: String {
        var flags = ""
        if isFatal { flags += ", fatal" }
        if isRetriable { flags += ", retriable" }
        return "KafkaError(\(code.name)\(flags)): \(reason) [\(file):\(line)]"
    }
}

extension KafkaError {
    /// The transient codes: the same request may succeed later (a full queue, a timeout, a
    /// rebalance, a coordinator that is moving, loading or unreachable, a broken connection).
    static let retriableCodes: Set<Code> = [
        .queueFull, .timedOut, .rebalanceInProgress,
        Code(RD_KAFKA_RESP_ERR__TRANSPORT), Code(RD_KAFKA_RESP_ERR__WAIT_COORD),
        Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN), Code(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT),
        Code(RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION), Code(RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS),
        Code(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE), Code(RD_KAFKA_RESP_ERR_NOT_COORDINATOR),
    ]

    /// An error for a plain `rd_kafka_resp_err_t`; retriable for the transient codes
    /// (``retriableCodes``).
    static func from(
        _ err: rd_kafka_resp_err_t,
        _ context: String,
        file: String = #fileID,
        line: UInt = #line
    ) -> KafkaError {
        let code = Code(err)
        let retriable = retriableCodes
        return KafkaError(
            code: code,
            reason: "\(context): \(code.description)",
            isFatal: code == .fatal,
            isRetriable: retriable.contains(code),
            file: file,
            line: line
        )
    }

    /// Consumes (destroys) an `rd_kafka_error_t` and returns it as a `KafkaError` whose reason
    /// is scrubbed of the client's secrets (librdkafka's string may quote configuration).
    static func consuming(
        _ error: OpaquePointer,
        _ context: String,
        scrubber: KafkaSecretScrubber,
        file: String = #fileID,
        line: UInt = #line
    ) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        return KafkaError(
            code: Code(rd_kafka_error_code(error)),
            reason: "\(context): \(scrubber.scrub(String(cString: rd_kafka_error_string(error))))",
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            file: file,
            line: line
        )
    }

    /// The client has been closed.
    static func closed(file: String = #fileID, line: UInt = #line) -> KafkaError {
        KafkaError(code: .closed, reason: "The Kafka client is closed", file: file, line: line)
    }
}
