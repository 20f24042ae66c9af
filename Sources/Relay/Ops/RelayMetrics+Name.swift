extension RelayMetrics {
    /// The metric names, as exported; `docs/METRICS.md` describes each (type, labels, meaning),
    /// and `MetricsReferenceTests` checks that it does.
    public enum Name {
        /// Records read from an input topic (`topic`).
        public static let consumed = "relay_records_consumed_total"
        /// Records that are not referral events (`topic`, `reason`).
        public static let skipped = "relay_records_skipped_total"
        /// Outcomes published (`event`, `status`, `server_id`).
        public static let deliveries = "relay_deliveries_total"
        /// Attempts repeated (`event`, `reason`, `server_id`).
        public static let retries = "relay_delivery_retries_total"
        /// Referral events in flight.
        public static let inFlight = "relay_in_flight"
        /// Duration of each HTTP attempt (`event`, `server_id`), seconds histogram.
        public static let httpDuration = "relay_http_request_duration_seconds"
        /// Records consumed but not yet committed (`topic`, `partition`).
        public static let commitLag = "relay_commit_lag"
        /// Records of an assigned partition after the group's committed offset, up to its end
        /// (`topic`, `partition`), from librdkafka's statistics.
        public static let consumerLag = "relay_consumer_lag"
        /// How long ago the oldest record read but not settled was read (`topic`, `partition`).
        public static let oldestUnsettledAge = "relay_oldest_unsettled_age_seconds"
        /// Dead letters published (`stage`).
        public static let deadLetters = "relay_dlq_records_total"
        /// 1 while the endpoint fails systemically, else 0.
        public static let systemicFailure = "relay_systemic_failure"
        /// Partitions currently assigned to this member.
        public static let assignedPartitions = "relay_assigned_partitions"
        /// Records settled by this group before a restart or rebalance (commit metadata), so not
        /// processed again (`topic`).
        public static let settledEarlier = "relay_records_settled_earlier_total"
        /// Records the consumer delivered a second time inside one assignment, ignored (`topic`).
        public static let redelivered = "relay_records_redelivered_total"
        /// Offset commits (`result`: ok, failed).
        public static let commits = "relay_commits_total"
        /// Times a server's circuit breaker opened (`server_id`).
        public static let breakerOpened = "relay_circuit_breaker_opened_total"
        /// Probes sent to servers whose breaker is open (`server_id`, `result`: ok, failed).
        public static let breakerProbes = "relay_circuit_breaker_probes_total"
        /// Always 1; the labels say what runs (`version`, `librdkafka`).
        public static let buildInfo = "relay_build_info"
        /// Milestones whose `mmref` differed from the referee store's token (the store's was used).
        public static let refereeTokenConflicts = "relay_referee_token_conflicts_total"
        /// A server's adaptive concurrency limit: requests allowed in flight to it (`server_id`).
        public static let concurrencyLimit = "relay_mmolove_concurrency_limit"
        /// Times a server's concurrency limit was lowered after an overload answer (`server_id`).
        public static let concurrencyLimitDecreases = "relay_mmolove_concurrency_limit_decreases_total"
    }
}

extension RelayMetrics {
    /// What one exported metric is: the `# HELP` line of `/metrics` and a row of
    /// `docs/METRICS.md` (`MetricsReferenceTests` checks the document against these).
    public struct Description: Sendable, Hashable {
        /// The Prometheus type: `counter`, `gauge` or `histogram`.
        public var type: String
        /// The metric name.
        public var name: String
        /// Its label names, in the order they are exported.
        public var labels: [String]
        /// One line of help (no newline or backslash).
        public var help: String
    }

    /// Every metric the relay exports.
    public static let descriptions: [Description] = [
        .init(type: "counter", name: Name.consumed, labels: ["topic"], help: "Records read from an input topic."),
        .init(
            type: "counter", name: Name.skipped, labels: ["topic", "reason"],
            help: "Records that are not referral events, settled without a request."),
        .init(
            type: "counter", name: Name.deliveries, labels: ["event", "status", "server_id"],
            help: "Outcomes published, by referral event, outcome status and MMOLove server."),
        .init(
            type: "counter", name: Name.retries, labels: ["event", "reason", "server_id"],
            help: "Attempts repeated (HTTP or outcome publishing), by reason."),
        .init(type: "gauge", name: Name.inFlight, labels: [], help: "Referral events holding a slot of the window."),
        .init(
            type: "histogram", name: Name.httpDuration, labels: ["event", "server_id"],
            help: "Duration of each HTTP attempt to MMOLove, in seconds."),
        .init(
            type: "gauge", name: Name.commitLag, labels: ["topic", "partition"],
            help: "Records this member read but has not committed, per assigned partition."),
        .init(
            type: "gauge", name: Name.consumerLag, labels: ["topic", "partition"],
            help: "Records after the group's committed offset up to the partition's end, per assigned partition."),
        .init(
            type: "gauge", name: Name.oldestUnsettledAge, labels: ["topic", "partition"],
            help: "Seconds since the oldest record read but not settled was read (0 when none), per assigned partition."
        ),
        .init(type: "counter", name: Name.deadLetters, labels: ["stage"], help: "Dead letters published, by stage."),
        .init(
            type: "gauge", name: Name.systemicFailure, labels: [],
            help: "1 while MMOLove fails systemically (a circuit breaker is open), else 0."),
        .init(
            type: "gauge", name: Name.assignedPartitions, labels: [],
            help: "Input partitions assigned to this member."),
        .init(
            type: "counter", name: Name.settledEarlier, labels: ["topic"],
            help: "Records settled earlier by this group (commit metadata), skipped on sight."),
        .init(
            type: "counter", name: Name.redelivered, labels: ["topic"],
            help: "Records the consumer delivered a second time within one assignment, ignored."),
        .init(type: "counter", name: Name.commits, labels: ["result"], help: "Offset commits, by result."),
        .init(
            type: "counter", name: Name.breakerOpened, labels: ["server_id"],
            help: "Times an MMOLove server's circuit breaker opened."),
        .init(
            type: "counter", name: Name.breakerProbes, labels: ["server_id", "result"],
            help: "Probes sent to MMOLove servers whose circuit breaker is open, by result."),
        .init(
            type: "gauge", name: Name.buildInfo, labels: ["version", "librdkafka"],
            help: "Always 1; the labels name the relay's version and librdkafka's."),
        .init(
            type: "counter", name: Name.refereeTokenConflicts, labels: [],
            help:
                "Milestones whose mmref differed from the referee store's token for the account; the store's was used."),
        .init(
            type: "gauge", name: Name.concurrencyLimit, labels: ["server_id"],
            help: "An MMOLove server's adaptive concurrency limit: requests allowed in flight to it."),
        .init(
            type: "counter", name: Name.concurrencyLimitDecreases, labels: ["server_id"],
            help: "Times an MMOLove server's concurrency limit was lowered after an overload answer."),
    ]
}
