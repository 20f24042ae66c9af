extension RelayConfiguration.Kafka {
    /// librdkafka's default `message.max.bytes`.
    public static let defaultMessageMaxBytes = 1_000_000

    /// The largest record the producer sends (librdkafka refuses larger ones itself with
    /// `MSG_SIZE_TOO_LARGE`): the passthrough property `message.max.bytes`, else librdkafka's
    /// default. Outcomes and dead letters are cut to fit it.
    public var messageMaxBytes: Int {
        self.properties["message.max.bytes"].flatMap { Int($0) } ?? Self.defaultMessageMaxBytes
    }
}

extension RelayConfiguration.Delivery {
    /// The settings of every MMOLove server's adaptive concurrency limit, or `nil` when
    /// ``adaptiveConcurrency`` is off: from ``adaptiveConcurrencyInitial`` (32 by default) up to
    /// ``maxInFlight``, clamped to it (`backfill --max-in-flight` may lower the window below a
    /// configured initial limit).
    var concurrencyLimit: ConcurrencyLimit.Settings? {
        guard self.adaptiveConcurrency else { return nil }
        return ConcurrencyLimit.Settings(
            initial: self.adaptiveConcurrencyInitial ?? ConcurrencyLimit.Settings.defaultInitial,
            maximum: self.maxInFlight)
    }
}
