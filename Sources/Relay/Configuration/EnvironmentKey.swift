/// The environment variables the relay reads. These names are part of the product: the Helm
/// chart sets exactly these, and `tests/chart` checks the chart against this list.
///
/// - Important: renaming a case's value is a breaking change for every deployment.
public enum EnvironmentKey: String, CaseIterable, Sendable {
    /// Bootstrap servers, comma-separated (required).
    case kafkaBrokers = "KAFKA_BROKERS"
    /// Consumer group id (default `referral-relay`).
    case kafkaGroupID = "KAFKA_GROUP_ID"
    /// Input topic of account-created events (default `account-created`).
    case topicAccountCreated = "RELAY_TOPIC_ACCOUNT_CREATED"
    /// Input topic of milestone-reached events (default `milestone-reached`).
    case topicMilestoneReached = "RELAY_TOPIC_MILESTONE_REACHED"
    /// Outcome topic the reward service reads (default `referral-outcomes`).
    case topicOutcomes = "RELAY_TOPIC_OUTCOMES"
    /// Dead-letter topic (default `referral-dlq`).
    case topicDLQ = "RELAY_TOPIC_DLQ"
    /// The referee store's compacted topic (default `referral-referees`).
    case topicReferees = "RELAY_TOPIC_REFEREES"
    /// Whether the referee store runs (default false): milestones without `mmref` find their
    /// token, and no `qualified` is sent after a failed registration.
    case refereeStore = "RELAY_REFEREE_STORE"
    /// Directory of the referee store's local copy (default a directory under the system's
    /// temporary directory named after the group).
    case refereeStoreDirectory = "RELAY_REFEREE_STORE_DIR"
    /// Seconds a milestone without `mmref` waits for its account to reach the store before it is
    /// skipped as not referred (default 60).
    case refereeWaitSeconds = "RELAY_REFEREE_WAIT_SECONDS"
    /// Milestones that qualify a referral, comma-separated (empty: every milestone).
    case qualifyingMilestones = "RELAY_QUALIFYING_MILESTONES"
    /// MMOLove ingest endpoint (default the official SDKs' endpoint).
    case mmoloveEndpoint = "MMOLOVE_ENDPOINT"
    /// Default MMOLove server id for events that carry none.
    case mmoloveServerID = "MMOLOVE_SERVER_ID"
    /// The referral secret itself; prefer the file variant.
    case mmoloveReferralSecret = "MMOLOVE_REFERRAL_SECRET"
    /// Path of a file holding the referral secret (how the Helm chart provides it).
    case mmoloveReferralSecretFile = "MMOLOVE_REFERRAL_SECRET_FILE"
    /// Key id appended to the signature header as `kid=` when the secret has one.
    case mmoloveKeyID = "MMOLOVE_KEY_ID"
    /// Path of a file holding the key id, re-read with the secret file (a rotation may change both).
    case mmoloveKeyIDFile = "MMOLOVE_KEY_ID_FILE"
    /// Seconds between two checks of the secret (and key id) files for a rotation (default 5).
    case mmoloveSecretPollSeconds = "MMOLOVE_SECRET_POLL_SECONDS"
    /// Port of the ops HTTP server: `/healthz`, `/readyz`, `/metrics` (default 8080).
    case opsPort = "RELAY_OPS_PORT"
    /// Log level: trace, debug, info, notice, warning, error, critical (default info).
    case logLevel = "RELAY_LOG_LEVEL"
    /// Seconds allowed on SIGTERM to finish in-flight work before committing and leaving the
    /// group (default 20). The pod's termination grace period must be longer.
    case drainTimeoutSeconds = "RELAY_DRAIN_TIMEOUT_SECONDS"
    /// Global limit of referral events in flight at once (default 256).
    case maxInFlight = "RELAY_MAX_IN_FLIGHT"
    /// Log format: `json` (default, one object per line) or `text` (for a terminal).
    case logFormat = "RELAY_LOG_FORMAT"
    /// Bind address of the ops HTTP server (default `0.0.0.0`).
    case opsHost = "RELAY_OPS_HOST"
    /// Milliseconds between commits of settled offsets (default 5000).
    case commitIntervalMs = "RELAY_COMMIT_INTERVAL_MS"
    /// Attempts before a retryable failure becomes `failed` + DLQ; 0 or absent retries without
    /// limit (the default).
    case maxAttempts = "RELAY_MAX_ATTEMPTS"
    /// Seconds a `qualified` answered 422 is retried before it is rejected (default 120).
    case qualifiedWaitSeconds = "RELAY_QUALIFIED_WAIT_SECONDS"
    /// First retry backoff ceiling in milliseconds (default 200).
    case retryInitialBackoffMs = "RELAY_RETRY_INITIAL_BACKOFF_MS"
    /// Largest retry backoff ceiling in seconds (default 30).
    case retryMaxBackoffSeconds = "RELAY_RETRY_MAX_BACKOFF_SECONDS"
    /// Allow a plain `http://` endpoint on a non-loopback host (default false).
    case mmoloveAllowInsecureHTTP = "MMOLOVE_ALLOW_INSECURE_HTTP"
    /// Per-request deadline in seconds (default 10).
    case mmoloveRequestTimeoutSeconds = "MMOLOVE_REQUEST_TIMEOUT_SECONDS"
    /// Deadline of opening a connection to MMOLove, in seconds (default 5).
    case mmoloveConnectTimeoutSeconds = "MMOLOVE_CONNECT_TIMEOUT_SECONDS"
    /// Referral events sent per second at most by this instance; 0 or absent: no limit.
    case rateLimit = "RELAY_RATE_LIMIT"
    /// Send every event with `"test": true`: MMOLove verifies it and writes nothing (default false).
    case mmoloveTestEvents = "MMOLOVE_TEST_EVENTS"
    /// Largest input record (key and value) in bytes; larger ones are dead-lettered at stage
    /// `decode` before any work (default 262144, 256 KiB).
    case maxInputBytes = "RELAY_MAX_INPUT_BYTES"
    /// Seconds a partition's oldest unsettled record may hold its commit before `/readyz`
    /// reports not ready, naming the partition (default 300).
    case heldPartitionReadinessSeconds = "RELAY_HELD_PARTITION_READINESS_SECONDS"
    /// Seconds a topic the broker calls unknown is retried before the record settles without the
    /// outcome or dead letter for it (default 300).
    case unknownTopicGraceSeconds = "RELAY_UNKNOWN_TOPIC_GRACE_SECONDS"
    /// Whether each MMOLove server gets an adaptive (AIMD) concurrency limit (default true).
    case adaptiveConcurrency = "RELAY_ADAPTIVE_CONCURRENCY"
    /// Each server's concurrency limit before any answer (default 32, at most `RELAY_MAX_IN_FLIGHT`).
    case adaptiveConcurrencyInitial = "RELAY_ADAPTIVE_CONCURRENCY_INITIAL"

    /// Prefix of variables passed through to librdkafka as properties, so secrets such as
    /// `sasl.password` can come from a Kubernetes Secret. After the prefix the name is read
    /// left to right in one pass, longest run first: `___` becomes `-`, `__` becomes `_`, `_`
    /// becomes `.`, then lower-cased: `RDKAFKA_SASL_PASSWORD` sets `sasl.password`,
    /// `RDKAFKA_SSL_KEY_PASSWORD` sets `ssl.key.password` (the convention of Confluent's
    /// container images; the chart's `rdkafkaEnvName` is its inverse).
    public static let librdkafkaPropertyPrefix = "RDKAFKA_"
}
