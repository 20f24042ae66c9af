import Logging
import ReferralKit

/// Everything `referral-relay run` needs, resolved and validated: built by
/// ``RelayConfiguration/load(configFile:environment:)`` from the YAML file and the environment
/// (environment wins), or directly in code (tests, the demo).
///
/// - Important: The secrets inside ``MMOLove/credentials`` are ``ReferralSecret`` values, whose
///   descriptions are redacted; ``description`` never prints a secret or a librdkafka property
///   value that could hold one.
public struct RelayConfiguration: Sendable {
    /// The four topics the relay reads and writes.
    public struct Topics: Sendable, Hashable {
        /// Input: account-created events (default `account-created`).
        public var accountCreated: String
        /// Input: milestone-reached events (default `milestone-reached`).
        public var milestoneReached: String
        /// Output: one outcome record per referral event (default `referral-outcomes`).
        public var outcomes: String
        /// Output: dead letters (default `referral-dlq`).
        public var dlq: String
        /// The referee store's compacted topic (default `referral-referees`).
        public var referees: String

        /// Creates the topic names; the defaults are the product's.
        public init(
            accountCreated: String = "account-created",
            milestoneReached: String = "milestone-reached",
            outcomes: String = "referral-outcomes",
            dlq: String = "referral-dlq",
            referees: String = "referral-referees"
        ) {
            self.accountCreated = accountCreated
            self.milestoneReached = milestoneReached
            self.outcomes = outcomes
            self.dlq = dlq
            self.referees = referees
        }
    }

    /// The Kafka side.
    public struct Kafka: Sendable {
        /// Bootstrap servers (required).
        public var brokers: [String]
        /// Consumer group id (default `referral-relay`).
        public var groupID: String
        /// Topic names.
        public var topics: Topics
        /// librdkafka properties passed through to both clients (file `kafka.properties` merged
        /// with `RDKAFKA_*` variables); may hold SASL passwords, so never logged.
        public var properties: [String: String]

        /// Creates the Kafka settings.
        public init(
            brokers: [String],
            groupID: String = "referral-relay",
            topics: Topics = Topics(),
            properties: [String: String] = [:]
        ) {
            self.brokers = brokers
            self.groupID = groupID
            self.topics = topics
            self.properties = properties
        }
    }

    /// The MMOLove side.
    public struct MMOLove: Sendable {
        /// The events URL (default ``ReferralClient/defaultEndpoint``).
        public var endpoint: String
        /// The server id used for events that carry none; `nil` when there is none (then such
        /// events are rejected). Defaults to the only configured server.
        public var defaultServerID: String?
        /// One secret (with its optional key id) per server id.
        public var credentials: ReferralCredentials
        /// Whether a plain `http://` endpoint on a non-loopback host is allowed.
        public var allowInsecureHTTP: Bool
        /// Per-request deadline (connect, head, body).
        public var requestTimeout: Duration
        /// Deadline of opening a connection.
        public var connectTimeout: Duration
        /// Send every event with `"test": true` (dry run: verified, never written).
        public var testEvents: Bool
        /// The secrets that came from files, re-read every ``secretPollInterval`` so a rotated
        /// secret (or key id) takes effect without a restart; empty for secrets given as values.
        public var secretFiles: [SecretFile]
        /// How often the secret files are checked for a rotation (default 5 s).
        public var secretPollInterval: Duration

        /// Creates the MMOLove settings.
        public init(
            endpoint: String = ReferralClient.defaultEndpoint,
            defaultServerID: String? = nil,
            credentials: ReferralCredentials,
            allowInsecureHTTP: Bool = false,
            requestTimeout: Duration = .seconds(10),
            connectTimeout: Duration = .seconds(5),
            testEvents: Bool = false,
            secretFiles: [SecretFile] = [],
            secretPollInterval: Duration = .seconds(5)
        ) {
            self.endpoint = endpoint
            self.defaultServerID =
                defaultServerID ?? (credentials.serverIDs.count == 1 ? credentials.serverIDs.first : nil)
            self.credentials = credentials
            self.allowInsecureHTTP = allowInsecureHTTP
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.testEvents = testEvents
            self.secretFiles = secretFiles
            self.secretPollInterval = secretPollInterval
        }
    }

    /// How deliveries are retried and bounded.
    public struct Delivery: Sendable, Hashable {
        /// Global limit of referral events in flight (default 256); intake pauses when full.
        public var maxInFlight: Int
        /// Attempts before a retryable failure becomes `failed` + DLQ; `nil` retries without limit
        /// (the default: the event is held and its partition keeps order).
        public var maxAttempts: Int?
        /// First backoff ceiling; attempt n waits a uniformly random time in
        /// `0...min(maxBackoff, initialBackoff * 2^(n-1))` (full jitter).
        public var initialBackoff: Duration
        /// Largest backoff ceiling.
        public var maxBackoff: Duration
        /// How long a `qualified` answered 422 is retried (its `registered` may still be on its
        /// way through the other topic) before it is rejected (default 120 s).
        public var qualifiedWait: Duration
        /// Referral events sent per second at most by this instance; `nil`: no limit.
        public var rateLimit: Double?
        /// Whether each MMOLove server gets an adaptive concurrency limit (default `true`): fewer
        /// requests in flight to it after 429, 5xx or timeouts, more again while it keeps up.
        public var adaptiveConcurrency: Bool
        /// The concurrency limit of each server before any answer; `nil`: 32, or ``maxInFlight``
        /// when lower. It never exceeds ``maxInFlight``.
        public var adaptiveConcurrencyInitial: Int?

        /// Creates the delivery settings.
        public init(
            maxInFlight: Int = 256,
            maxAttempts: Int? = nil,
            initialBackoff: Duration = .milliseconds(200),
            maxBackoff: Duration = .seconds(30),
            qualifiedWait: Duration = .seconds(120),
            rateLimit: Double? = nil,
            adaptiveConcurrency: Bool = true,
            adaptiveConcurrencyInitial: Int? = nil
        ) {
            self.maxInFlight = maxInFlight
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.qualifiedWait = qualifiedWait
            self.rateLimit = rateLimit
            self.adaptiveConcurrency = adaptiveConcurrency
            self.adaptiveConcurrencyInitial = adaptiveConcurrencyInitial
        }
    }

    /// The log output format.
    public enum LogFormat: String, Sendable, Hashable {
        /// One JSON object per line (the default; what log collectors parse).
        case json
        /// swift-log's human-readable lines, for a terminal.
        case text
    }

    /// Kafka settings.
    public var kafka: Kafka
    /// MMOLove settings.
    public var mmolove: MMOLove
    /// Delivery settings.
    public var delivery: Delivery
    /// Milestones that qualify; empty means every milestone qualifies.
    public var qualifyingMilestones: Set<String>
    /// Port of the ops HTTP server (default 8080; 0 picks a free one).
    public var opsPort: Int
    /// Bind address of the ops HTTP server (default `0.0.0.0`, so the kubelet can probe it).
    public var opsHost: String
    /// Log level (default info).
    public var logLevel: Logger.Level
    /// Log format (default json).
    public var logFormat: LogFormat
    /// Time allowed on SIGTERM to finish in-flight work before committing and leaving (default 20 s).
    public var drainTimeout: Duration
    /// How often settled offsets are committed (default 5 s).
    public var commitInterval: Duration
    /// Largest input record, key and value, in bytes (default 256 KiB): a larger one is
    /// dead-lettered at stage `decode` before any work.
    public var maxInputBytes: Int = RelayConfiguration.defaultMaxInputBytes
    /// How long a partition's oldest unsettled record may hold its commit before `/readyz`
    /// reports not ready (default 300 s: longer than a `qualified` waits for its `registered`).
    public var heldPartitionReadiness: Duration = .seconds(300)
    /// How long an unknown topic is retried when publishing before the record settles without
    /// that outcome or dead letter (default 300 s).
    public var unknownTopicGrace: Duration = .seconds(300)
    /// The referee store (on by default).
    public var referees = RefereeSettings()
    /// How often the live relay logs its `relay progress` summary (``RelayProgress/interval``, a
    /// minute). Not a setting: no file key or environment variable sets it; tests shorten it.
    var progressInterval: Duration = RelayProgress.interval

    /// The default of ``maxInputBytes``: 256 KiB.
    public static let defaultMaxInputBytes = 262_144

    /// Creates a configuration; every value but the brokers and credentials has the product default.
    public init(
        kafka: Kafka,
        mmolove: MMOLove,
        delivery: Delivery = Delivery(),
        qualifyingMilestones: Set<String> = [],
        opsPort: Int = 8080,
        opsHost: String = "0.0.0.0",
        logLevel: Logger.Level = .info,
        logFormat: LogFormat = .json,
        drainTimeout: Duration = .seconds(20),
        commitInterval: Duration = .seconds(5)
    ) {
        self.kafka = kafka
        self.mmolove = mmolove
        self.delivery = delivery
        self.qualifyingMilestones = qualifyingMilestones
        self.opsPort = opsPort
        self.opsHost = opsHost
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.drainTimeout = drainTimeout
        self.commitInterval = commitInterval
    }
}
