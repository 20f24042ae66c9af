/// Why a `dlq` command could not do its work: a bad argument, a missing topic, a Kafka failure,
/// or a read that stopped before the end offsets captured at start.
///
/// - Important: The reason never holds a secret: it names topics, partitions, offsets and
///   arguments, and Kafka errors never carry configuration values.
public struct DeadLetterToolError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, extensible like ``Kafka/KafkaError/Code``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short name, e.g. `usage`.
        public let name: String

        /// An argument is wrong (a bad regular expression, time or run name): exit 64.
        public static let usage = Code(name: "usage")
        /// The dead-letter topic does not exist.
        public static let topicMissing = Code(name: "topic_missing")
        /// The Kafka client failed (unreachable brokers, a refused commit, a failed produce).
        public static let kafka = Code(name: "kafka")
        /// A partition delivered nothing for the idle timeout before its end offset was reached.
        public static let incomplete = Code(name: "incomplete")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, for the operator.
    public var reason: String
    /// Where it was raised.
    public var file: String
    /// Where it was raised.
    public var line: UInt

    /// Creates an error.
    public init(code: Code, reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String { reason }
}
