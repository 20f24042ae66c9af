import Kafka

extension RelayConfiguration {
    /// How often the live relay's consumer reports librdkafka statistics, from which
    /// `relay_consumer_lag` is computed (librdkafka's granularity is 1 s). The passthrough
    /// property `statistics.interval.ms` (`RDKAFKA_STATISTICS_INTERVAL_MS`) overrides it; 0 turns
    /// the statistics, and the metric, off.
    public static let consumerStatisticsInterval = Duration.seconds(5)

    /// The consumer of the input topics: the relay's group, cooperative-sticky rebalancing,
    /// earliest reset for a new group, manual offset storage (set by ``KafkaConsumerConfiguration``),
    /// and the passthrough properties minus the producer-only ones.
    ///
    /// - Parameter clientID: `client.id`, e.g. the pod name, so brokers' logs tell pods apart.
    public func consumerConfiguration(clientID: String) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: self.kafka.brokers, groupID: self.kafka.groupID)
        configuration.clientID = clientID
        configuration.assignor = .cooperativeSticky
        configuration.autoOffsetReset = .earliest
        configuration.properties = self.kafka.properties.filter { !LibrdkafkaProperties.producerOnly.contains($0.key) }
        return configuration
    }

    /// The producer of outcome and dead-letter records: `acks=all` (a record is settled only
    /// once every in-sync replica has it), not idempotent (see
    /// ``RelayConfiguration/Kafka/producerConfiguration(clientID:)`` for why), and the passthrough
    /// properties minus the consumer-only ones, which librdkafka would warn about and ignore.
    ///
    /// - Parameter clientID: `client.id`.
    public func producerConfiguration(clientID: String) -> KafkaProducerConfiguration {
        self.kafka.producerConfiguration(clientID: clientID)
    }
}
