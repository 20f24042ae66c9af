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
