/// Configuration of a ``KafkaConsumer``: typed fields for what the relay sets, plus
/// ``properties`` passed to librdkafka verbatim and applied last (SASL/SSL, timeouts, tuning).
public struct KafkaConsumerConfiguration: Sendable {
    /// The partition assignment strategy (`partition.assignment.strategy`).
    public enum Assignor: String, Sendable {
        /// Incremental cooperative rebalancing: unaffected partitions keep being consumed.
        case cooperativeSticky = "cooperative-sticky"
        /// Eager range assignment.
        case range
        /// Eager round-robin assignment.
        case roundRobin = "roundrobin"
    }

    /// Where to start when a partition has no committed offset (`auto.offset.reset`).
    public enum AutoOffsetReset: String, Sendable {
        /// The oldest record still in the log.
        case earliest
        /// Only records produced from now on.
        case latest
        /// Fail instead.
        case error
    }

    /// Brokers to bootstrap from (`bootstrap.servers`), `host:port` each.
    public var bootstrapServers: [String]
    /// The consumer group (`group.id`); used for commits even with manual assignment.
    public var groupID: String
    /// The client id (`client.id`). Default `referral-relay`.
    public var clientID: String = "referral-relay"
    /// `session.timeout.ms`. Default 45 s (librdkafka's). The mock broker needs at least 3 s.
    public var sessionTimeout: Duration = .seconds(45)
    /// `heartbeat.interval.ms`. Default 3 s.
    public var heartbeatInterval: Duration = .seconds(3)
    /// `max.poll.interval.ms`: a reader slower than this loses its partitions. Default 300 s.
    public var maxPollInterval: Duration = .seconds(300)
    /// The assignor. Default ``Assignor/cooperativeSticky``.
    public var assignor: Assignor = .cooperativeSticky
    /// `auto.offset.reset`. Default ``AutoOffsetReset/earliest``.
    public var autoOffsetReset: AutoOffsetReset = .earliest
    /// `statistics.interval.ms`; `nil` (default) disables ``KafkaConsumer/statistics``.
    public var statisticsInterval: Duration? = nil
    /// Records buffered between the poll thread and ``KafkaConsumer/events``. When it is full
    /// the poll thread stops taking records from librdkafka (it keeps serving rebalances, so a
    /// stalled reader does not cost the group membership) until the reader has taken half.
    /// Default 1024.
    public var bufferCapacity: Int = 1024
    /// Records the poll thread takes from one partition before it turns to the next, so that
    /// partitions are read side by side. Default 64.
    public var partitionBatch: Int = 64
    /// Records librdkafka prefetches per partition before it stops fetching it
    /// (`queued.min.messages`; each partition has its own queue, see ``KafkaConsumer``).
    /// With ``prefetchLimitKilobytes`` and ``bufferCapacity`` it bounds the memory held for
    /// unread records: a backlog stays on the broker. Default 2,000 (librdkafka's is 100,000).
    public var prefetchRecordsPerPartition: Int = 2_000
    /// Kilobytes librdkafka prefetches per partition before it stops fetching it
    /// (`queued.max.messages.kbytes`). A fetch in flight may add up to
    /// `max.partition.fetch.bytes` (1 MiB) more. Default 2 MiB (librdkafka's is 64 MiB).
    public var prefetchLimitKilobytes: Int = 2_048
    /// How long a revocation waits for ``KafkaRevocation/complete()`` before the partitions
    /// are released anyway (commits for them are refused from then on). Also bounds the wait
    /// for commits still running for them at release. Default 10 s.
    public var revocationTimeout: Duration = .seconds(10)
    /// Any librdkafka property, applied after the typed fields (so it overrides them).
    /// `enable.auto.commit` and `enable.auto.offset.store` default to `false`.
    public var properties: [String: String] = [:]

    /// Creates a configuration with the documented defaults.
    public init(bootstrapServers: [String], groupID: String) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
    }

    /// `queued.min.messages` as librdkafka gets it (a passthrough property wins).
    var fetchThreshold: Int {
        self.rdProperties.last { $0.0 == "queued.min.messages" }.flatMap { Int($0.1) }
            ?? self.prefetchRecordsPerPartition
    }

    /// The librdkafka properties, in the order they are applied.
    var rdProperties: [(String, String)] {
        var list: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers.joined(separator: ",")),
            ("group.id", groupID),
            ("client.id", clientID),
            ("session.timeout.ms", "\(sessionTimeout.rdMilliseconds)"),
            ("heartbeat.interval.ms", "\(heartbeatInterval.rdMilliseconds)"),
            ("max.poll.interval.ms", "\(maxPollInterval.rdMilliseconds)"),
            ("partition.assignment.strategy", assignor.rawValue),
            ("auto.offset.reset", autoOffsetReset.rawValue),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("enable.partition.eof", "false"),
            ("queued.min.messages", "\(prefetchRecordsPerPartition)"),
            ("queued.max.messages.kbytes", "\(prefetchLimitKilobytes)"),
        ]
        if let statisticsInterval {
            list.append(("statistics.interval.ms", "\(statisticsInterval.rdMilliseconds)"))
        }
        // The `cgrp` debug context makes librdkafka report its join-state changes, which hold
        // commits while this member joins (KafkaGroupJoin); kept when `debug` is passed through.
        var passthrough = properties
        // Logs are read as librdkafka writes them: queued (`log.queue`), the join states above
        // would never arrive, and commits would not wait for a join.
        passthrough.removeValue(forKey: "log.queue")
        let debug = passthrough.removeValue(forKey: "debug")?.split(separator: ",").map(String.init) ?? []
        list.append(
            (
                "debug",
                (debug.contains("cgrp") || debug.contains("all") ? debug : debug + ["cgrp"]).joined(separator: ",")
            ))
        list += passthrough.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return list
    }
}
