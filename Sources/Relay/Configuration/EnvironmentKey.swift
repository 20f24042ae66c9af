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
    /// Port of the ops HTTP server: `/healthz`, `/readyz`, `/metrics` (default 8080).
    case opsPort = "RELAY_OPS_PORT"
    /// Log level: trace, debug, info, notice, warning, error, critical (default info).
    case logLevel = "RELAY_LOG_LEVEL"
    /// Seconds allowed on SIGTERM to finish in-flight work before committing and leaving the
    /// group (default 20). The pod's termination grace period must be longer.
    case drainTimeoutSeconds = "RELAY_DRAIN_TIMEOUT_SECONDS"
    /// Global limit of referral events in flight at once (default 256).
    case maxInFlight = "RELAY_MAX_IN_FLIGHT"

    /// Prefix of variables passed through to librdkafka as properties, so secrets such as
    /// `sasl.password` can come from a Kubernetes Secret. After the prefix, `_` becomes `.`,
    /// `__` becomes `_` and `___` becomes `-`, lower-cased: `RDKAFKA_SASL_PASSWORD` sets
    /// `sasl.password` (the convention of Confluent's container images).
    public static let librdkafkaPropertyPrefix = "RDKAFKA_"
}
