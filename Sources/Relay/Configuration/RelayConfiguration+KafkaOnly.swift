import Kafka

extension RelayConfiguration.Kafka {
    /// Builds and validates only the Kafka settings (brokers, group, topics, passthrough
    /// properties) from an optional YAML file and the environment, as
    /// ``RelayConfiguration/load(configFile:environment:)`` does for the whole relay.
    ///
    /// The `dlq` tools talk to Kafka alone: requiring an MMOLove secret to list dead letters
    /// would hand a secret to every operator who only reads the topic.
    ///
    /// - Parameters:
    ///   - configFile: Path of the YAML file (`--config`), or `nil` for the environment alone.
    ///   - environment: The process environment (tests pass their own).
    /// - Throws: ``ConfigurationError`` naming the first Kafka setting at fault; a file with an
    ///   unknown key anywhere is refused as well, as for `run`.
    public static func load(
        configFile: String?,
        environment: [String: String]
    ) throws(ConfigurationError) -> RelayConfiguration.Kafka {
        let file = try configFile.map { path throws(ConfigurationError) in
            try ConfigurationFile(contentsOfFile: path)
        }
        return try RelayConfiguration.loadKafka(ConfigurationSources(environment: environment, file: file))
    }

    /// The producer of outcome, dead-letter, referee and re-driven records: `acks=all`, so a
    /// record counts as written only once every in-sync replica has it, **not idempotent**, at
    /// most five requests in flight per broker, and the passthrough properties minus the
    /// consumer-only ones (the user's `max.in.flight.requests.per.connection` or `max.in.flight` wins).
    ///
    /// Why not idempotent: librdkafka's idempotent producer (2.0.2 as linked here, and 2.16)
    /// sends one request per partition at a time and, while it waits for the answer, its broker
    /// thread polls with a zero timeout. Against three brokers 20 ms away the relay took 8.5 s of
    /// CPU for 20,000 events, against 2.3 s without idempotence (docs/DESIGN.md, fourteenth
    /// session; `tests/perf/relay_far_brokers.py`).
    /// What idempotence would add is absorbed already: a retried request may write a record
    /// twice, which the output contract's at-least-once delivery covers (outcomes are granted
    /// once per `server_event_id`, referee rows are upserts, MMOLove deduplicates re-driven
    /// events); and a retry may put a record behind a later one of its partition, which only
    /// matters for records of one key in flight together whose order is kept: the referee store
    /// sends an account's records one at a time (``KeyedTurns``); the order of an account's
    /// outcomes, or of re-driven records, was never promised.
    ///
    /// - Parameter clientID: `client.id`.
    public func producerConfiguration(clientID: String) -> KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(bootstrapServers: self.brokers)
        configuration.clientID = clientID
        configuration.enableIdempotence = false
        configuration.acks = .all
        // 1 ms, not librdkafka's 5: at 1,000 events/s bench row 6's p50 fell from 26.5 to 21.3 ms and
        // its p99 from 45 to 38 ms, with row 4 unchanged (0 ms: p50 18 but p99 58). `linger.ms` in
        // kafka.properties still overrides it.
        configuration.linger = .milliseconds(1)
        // librdkafka's default is 1,000,000; the idempotent producer's limit was 5. One request
        // per broker at a time keeps order through retries but, 20 ms from the brokers, gave
        // 2,463 events/s against 4,833 at 5 (the partitions of a broker take turns).
        configuration.properties = self.properties.filter { !LibrdkafkaProperties.consumerOnly.contains($0.key) }
        if configuration.properties["max.in.flight.requests.per.connection"] == nil,
            configuration.properties["max.in.flight"] == nil
        {
            configuration.properties["max.in.flight.requests.per.connection"] = "5"
        }
        return configuration
    }

    /// A consumer for a tool that assigns partitions by hand: never joins a group, so it
    /// neither waits for a rebalance nor disturbs the relay's group; `groupID` is used only for
    /// commits (and for nothing when the tool commits nothing).
    ///
    /// - Parameters:
    ///   - clientID: `client.id`.
    ///   - groupID: The group whose offsets the tool reads and commits.
    public func toolConsumerConfiguration(clientID: String, groupID: String) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: self.brokers, groupID: groupID)
        configuration.clientID = clientID
        configuration.autoOffsetReset = .earliest
        configuration.properties = self.properties.filter { !LibrdkafkaProperties.producerOnly.contains($0.key) }
        return configuration
    }
}
