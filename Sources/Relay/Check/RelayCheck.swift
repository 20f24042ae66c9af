import Logging

/// `referral-relay check`: whether a configuration that loads would also work, before a deploy
/// relies on it. It reaches the brokers, finds the four topics, reads the group's offsets,
/// proves a commit, connects the relay's producer, and sends one signed `test:true` event to
/// every MMOLove server.
///
/// What it never does (so it is safe against production):
/// - it never commits for the relay's group: the commit check commits to a group of its own,
///   ``checkGroupID(live:)`` (`<groupId>-check`), copying the relay's committed offsets, so the
///   relay's position cannot move even while relays run;
/// - it writes nothing to any topic: the producer check stops at the outcome and dead-letter
///   topics' metadata through the producer's connection. A missing topic-level `Write` ACL is
///   therefore not caught here (the relay would retry the publish and `/readyz` would name the
///   held partition);
/// - the MMOLove event is a dry run (`"test": true`): MMOLove verifies the signature and the
///   fields and writes nothing.
///
/// Unreachable brokers fail `kafka brokers` after one metadata request's `timeout` (librdkafka
/// retries connections forever), and the checks that need Kafka are reported skipped.
///
/// Nothing it prints or logs contains a secret: details name servers, topics, statuses and
/// MMOLove's error strings, and the endpoint without its userinfo and query.
public struct RelayCheck: Sendable {
    /// How one check ended.
    public enum Status: String, Sendable, Hashable {
        /// It works.
        case ok
        /// It does not; the detail says why.
        case failed
        /// Not tried, because something it needs failed first.
        case skipped
    }

    /// One row of the report.
    public struct Result: Sendable, Hashable {
        /// What was checked, e.g. `topic referral-dlq`.
        public var name: String
        /// How it ended.
        public var status: Status
        /// What was found (never a secret).
        public var detail: String

        /// Creates a row.
        public init(_ name: String, _ status: Status, _ detail: String) {
            self.name = name
            self.status = status
            self.detail = detail
        }
    }

    let configuration: RelayConfiguration
    let timeout: Duration
    let logger: Logger

    /// Creates a check of `configuration`.
    ///
    /// - Parameters:
    ///   - configuration: A configuration loaded and validated as `run` loads it.
    ///   - timeout: How long each broker request may take.
    ///   - logger: Where the Kafka clients log.
    public init(configuration: RelayConfiguration, timeout: Duration = .seconds(10), logger: Logger) {
        self.configuration = configuration
        self.timeout = timeout
        self.logger = logger
    }

    /// The group the commit check commits to: never the relay's own.
    public static func checkGroupID(live: String) -> String { "\(live)-check" }

    /// Runs every check, in the order of the report.
    public func run() async -> [Result] {
        var results = [
            Result(
                "configuration", .ok,
                "loaded as run loads it; group \(self.configuration.kafka.groupID), "
                    + "\(self.configuration.mmolove.credentials.serverIDs.count) MMOLove server(s)")
        ]
        let kafka = await self.kafkaChecks()
        results += kafka
        let brokers = kafka.first { $0.name == "kafka brokers" }
        let missing = Set(
            kafka.filter { $0.status == .failed && $0.name.hasPrefix("topic ") }.map { $0.name.dropFirst(6) })
        results.append(
            brokers?.status == .ok
                ? await self.producerCheck(skipping: missing.map(String.init))
                : Result("kafka producer", .skipped, "brokers unreachable"))
        results += await self.mmoloveChecks()
        return results
    }

    /// The report as a table: check, result, detail.
    public static func table(_ results: [Result]) -> String {
        let nameWidth = max(5, results.map(\.name.count).max() ?? 0)
        func row(_ name: String, _ result: String, _ detail: String) -> String {
            name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                + result.padding(toLength: 7, withPad: " ", startingAt: 0) + "  " + detail
        }
        let lines =
            [row("CHECK", "RESULT", "DETAIL")]
            + results.map { row($0.name, $0.status == .failed ? "FAILED" : $0.status.rawValue, $0.detail) }
        return lines.joined(separator: "\n") + "\n"
    }
}
