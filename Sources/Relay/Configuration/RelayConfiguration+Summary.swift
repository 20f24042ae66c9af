import ReferralKit

extension RelayConfiguration {
    /// Every setting as `(name, value)`, in a stable order, safe to log at start-up.
    ///
    /// Server ids and key ids are shown, secrets never; the endpoint without its userinfo and
    /// query (``ReferralEndpoint/redacted(_:)``). librdkafka properties are listed by name
    /// with the value `<set>`: several of them carry credentials under names that do not say so
    /// (`sasl.jaas.config`, `sasl.oauthbearer.config`), so no name-based filter is trusted with
    /// their values.
    public var redactedSettings: [(name: String, value: String)] {
        var settings: [(name: String, value: String)] = [
            ("kafka.brokers", self.kafka.brokers.joined(separator: ",")),
            ("kafka.groupId", self.kafka.groupID),
            ("kafka.topics.accountCreated", self.kafka.topics.accountCreated),
            ("kafka.topics.milestoneReached", self.kafka.topics.milestoneReached),
            ("kafka.topics.outcomes", self.kafka.topics.outcomes),
            ("kafka.topics.dlq", self.kafka.topics.dlq),
            ("kafka.topics.referees", self.kafka.topics.referees),
        ]
        for name in self.kafka.properties.keys.sorted() {
            settings.append(("kafka.properties.\(name)", "<set>"))
        }
        settings += [
            (
                "relay.qualifyingMilestones",
                self.qualifyingMilestones.isEmpty
                    ? "<every milestone>" : self.qualifyingMilestones.sorted().joined(separator: ",")
            ),
            ("relay.logLevel", self.logLevel.rawValue),
            ("relay.logFormat", self.logFormat.rawValue),
            ("relay.drainTimeoutSeconds", Self.describe(self.drainTimeout)),
            ("relay.maxInFlight", "\(self.delivery.maxInFlight)"),
            ("relay.opsHost", self.opsHost),
            ("relay.opsPort", "\(self.opsPort)"),
            ("relay.commitIntervalMs", Self.describe(self.commitInterval)),
            ("relay.maxAttempts", self.delivery.maxAttempts.map { "\($0)" } ?? "unlimited"),
            ("relay.qualifiedWaitSeconds", Self.describe(self.delivery.qualifiedWait)),
            ("relay.rateLimit", self.delivery.rateLimit.map { "\(Int($0)) events/s" } ?? "none"),
            ("relay.adaptiveConcurrency", "\(self.delivery.adaptiveConcurrency)"),
            (
                "relay.adaptiveConcurrencyInitial",
                self.delivery.concurrencyLimit.map { "\($0.initial) per server" } ?? "off"
            ),
            ("relay.retry.initialBackoffMs", Self.describe(self.delivery.initialBackoff)),
            ("relay.retry.maxBackoffSeconds", Self.describe(self.delivery.maxBackoff)),
            ("relay.refereeStore.enabled", "\(self.referees.enabled)"),
            ("relay.refereeStore.directory", self.referees.directory ?? "<temporary directory>"),
            ("relay.refereeStore.waitSeconds", Self.describe(self.referees.wait)),
            ("mmolove.endpoint", ReferralEndpoint.redacted(self.mmolove.endpoint)),
            ("mmolove.serverId", self.mmolove.defaultServerID ?? "<none: events must carry server_id>"),
        ]
        for id in self.mmolove.credentials.serverIDs {
            let keyID = self.mmolove.credentials[id]?.keyID.map { ", kid \($0)" } ?? ""
            settings.append(("mmolove.servers.\(id)", "secret <redacted>\(keyID)"))
        }
        settings += [
            ("mmolove.allowInsecureHttp", "\(self.mmolove.allowInsecureHTTP)"),
            ("mmolove.requestTimeoutSeconds", Self.describe(self.mmolove.requestTimeout)),
            ("mmolove.connectTimeoutSeconds", Self.describe(self.mmolove.connectTimeout)),
            ("mmolove.testEvents", "\(self.mmolove.testEvents)"),
        ]
        return settings
    }

    /// ``redactedSettings`` as text, one `name: value` line per setting.
    public var redactedSummary: String {
        self.redactedSettings.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }

    /// A duration in its natural unit: `20s`, `200ms`.
    private static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds)s" }
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }
}

extension RelayConfiguration: CustomStringConvertible {
    /// ``redactedSummary``: no secret, no librdkafka property value.
    public var description: String { self.redactedSummary }
}
