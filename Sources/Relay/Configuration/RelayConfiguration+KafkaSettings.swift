extension RelayConfiguration {
    /// Reads and checks the Kafka settings: brokers, group, topics, passthrough properties.
    static func loadKafka(_ sources: ConfigurationSources) throws(ConfigurationError) -> Kafka {
        guard let brokers = sources.list(.kafkaBrokers, "kafka.brokers"), !brokers.items.isEmpty else {
            throw .missing(.kafkaBrokers, "kafka.brokers", "the Kafka bootstrap servers, comma-separated host:port")
        }
        let groupID = sources.string(.kafkaGroupID, "kafka.groupId", default: "referral-relay")
        guard !groupID.0.isEmpty else {
            throw .invalid(groupID.key, "must not be empty")
        }
        return Kafka(
            brokers: brokers.items,
            groupID: groupID.0,
            topics: try self.loadTopics(sources),
            properties: try self.loadProperties(sources)
        )
    }

    /// Reads the five topic names; each must be set and all five must differ, because the
    /// relay tells events apart by their topic and must never read what it writes.
    private static func loadTopics(_ sources: ConfigurationSources) throws(ConfigurationError) -> Topics {
        let defaults = Topics()
        let named: [(String, key: String)] = [
            sources.string(.topicAccountCreated, "kafka.topics.accountCreated", default: defaults.accountCreated),
            sources.string(.topicMilestoneReached, "kafka.topics.milestoneReached", default: defaults.milestoneReached),
            sources.string(.topicOutcomes, "kafka.topics.outcomes", default: defaults.outcomes),
            sources.string(.topicDLQ, "kafka.topics.dlq", default: defaults.dlq),
            sources.string(.topicReferees, "kafka.topics.referees", default: defaults.referees),
        ]
        for (index, topic) in named.enumerated() {
            guard !topic.0.isEmpty else {
                throw .invalid(topic.key, "the topic name must not be empty")
            }
            if let earlier = named[..<index].first(where: { $0.0 == topic.0 }) {
                throw .invalid(
                    topic.key,
                    "topic '\(topic.0)' is also \(earlier.key); the five topics must all differ"
                )
            }
        }
        return Topics(
            accountCreated: named[0].0,
            milestoneReached: named[1].0,
            outcomes: named[2].0,
            dlq: named[3].0,
            referees: named[4].0
        )
    }

    /// `kafka.properties` with the `RDKAFKA_*` variables on top; refuses the ones the relay owns.
    private static func loadProperties(
        _ sources: ConfigurationSources
    ) throws(ConfigurationError) -> [String: String] {
        var properties: [String: String] = [:]
        var keys: [String: String] = [:]
        for (name, value) in sources.file?.properties ?? [:] {
            properties[name] = value
            keys[name] = "kafka.properties.\(name)"
        }
        // Sorted so that, of two variables naming one property, the same one always wins.
        for (variable, value) in sources.environment.sorted(by: { $0.key < $1.key }) {
            // An empty variable is unset here too, as for every other setting.
            guard let name = LibrdkafkaProperties.propertyName(forEnvironmentName: variable), !value.isEmpty else {
                continue
            }
            properties[name] = value
            keys[name] = variable
        }
        for name in properties.keys.sorted() {
            let key = keys[name] ?? name
            if let reason = LibrdkafkaProperties.owned[name] {
                throw .invalid(
                    key, "librdkafka property '\(name)' is set by the relay and cannot be overridden: \(reason)")
            }
            guard !name.isEmpty, !name.contains(where: { $0.isWhitespace }) else {
                throw .invalid(key, "'\(name)' is not a librdkafka property name")
            }
        }
        return properties
    }
}
