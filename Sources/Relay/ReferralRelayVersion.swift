import Kafka

/// The relay's version: the one place it is written down. `referral-relay --version`,
/// `relay_build_info` and the start-up log read it here; the Helm chart's `appVersion` must
/// match it (`ReferralRelayVersionTests`).
public enum ReferralRelayVersion {
    /// The relay's version (semantic versioning).
    public static let current = "0.1.0"

    /// The version of the librdkafka this binary runs with (`rd_kafka_version_str()`), e.g. `2.0.2`.
    public static var librdkafka: String { Kafka.librdkafkaVersion }

    /// One line for `--version`: `referral-relay 0.1.0 (librdkafka 2.0.2)`.
    public static var description: String { "referral-relay \(current) (librdkafka \(librdkafka))" }
}
