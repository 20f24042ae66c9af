import CoreMetrics
import ReferralKit
import Synchronization

/// The relay's metrics, created against an explicit swift-metrics factory (the ops server's
/// Prometheus registry in production, so several relays in one test process do not share
/// global state). Metric objects are cached per label set: creating them per event would cost
/// a factory lookup on the hot path.
///
/// Labels are closed sets or topic names, never account ids, tokens or secrets.
public final class RelayMetrics: Sendable {
    /// The metric names, as exported.
    public enum Name {
        /// Records read from an input topic (`topic`).
        public static let consumed = "relay_records_consumed_total"
        /// Records that are not referral events (`topic`, `reason`).
        public static let skipped = "relay_records_skipped_total"
        /// Outcomes published (`event`, `status`).
        public static let deliveries = "relay_deliveries_total"
        /// Attempts repeated (`event`, `reason`).
        public static let retries = "relay_delivery_retries_total"
        /// Referral events in flight.
        public static let inFlight = "relay_in_flight"
        /// Duration of each HTTP attempt (`event`), seconds histogram.
        public static let httpDuration = "relay_http_request_duration_seconds"
        /// Records consumed but not yet committed (`topic`, `partition`).
        public static let commitLag = "relay_commit_lag"
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
        /// Probes sent to servers whose breaker is open (`result`: ok, failed).
        public static let breakerProbes = "relay_circuit_breaker_probes_total"
        /// Counter: milestones whose `mmref` differed from the referee store's token (the
        /// store's was used).
        public static let refereeTokenConflicts = "relay_referee_token_conflicts_total"
        /// A server's adaptive concurrency limit: requests allowed in flight to it (`server_id`).
        public static let concurrencyLimit = "relay_mmolove_concurrency_limit"
        /// Times a server's concurrency limit was lowered after an overload answer (`server_id`).
        public static let concurrencyLimitDecreases = "relay_mmolove_concurrency_limit_decreases_total"
    }

    /// A cached metric's identity: its name and label values (every metric here has at most
    /// two labels, whose names follow from the metric). Built per event without allocating:
    /// short strings are stored inline.
    private struct Key: Hashable {
        var label: String
        var first: String
        var second: String

        init(_ label: String, _ dimensions: [(String, String)]) {
            self.label = label
            self.first = dimensions.first?.1 ?? ""
            self.second = dimensions.count > 1 ? dimensions[1].1 : ""
        }
    }

    private let factory: any MetricsFactory
    private let counters = Mutex<[Key: Counter]>([:])
    private let gauges = Mutex<[Key: Gauge]>([:])
    private let timers = Mutex<[Key: Timer]>([:])
    /// Recorded after every scheduling step: created once.
    private let inFlightGauge: Gauge

    /// Creates the metrics on `factory`.
    public init(factory: any MetricsFactory) {
        self.factory = factory
        self.inFlightGauge = Gauge(label: Name.inFlight, dimensions: [], factory: factory)
    }

    /// One record consumed from `topic`.
    public func consumed(topic: String) {
        self.counter(Name.consumed, [("topic", topic)]).increment()
    }

    /// A milestone's token differed from the referee store's.
    public func refereeTokenConflict() {
        self.counter(Name.refereeTokenConflicts, []).increment()
    }

    /// One record skipped.
    public func skipped(topic: String, reason: SkipReason) {
        self.counter(Name.skipped, [("topic", topic), ("reason", reason.rawValue)]).increment()
    }

    /// One outcome published.
    public func delivered(event: ReferralEvent.Kind, status: OutcomeStatus) {
        self.counter(Name.deliveries, [("event", event.rawValue), ("status", status.rawValue)]).increment()
    }

    /// One attempt repeated.
    public func retried(event: ReferralEvent.Kind, reason: RetryReason) {
        self.counter(Name.retries, [("event", event.rawValue), ("reason", reason.rawValue)]).increment()
    }

    /// The number of referral events in flight now.
    public func inFlight(_ count: Int) {
        self.inFlightGauge.record(count)
    }

    /// One HTTP attempt took `duration`.
    public func httpAttempt(event: ReferralEvent.Kind, duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        self.timer(Name.httpDuration, [("event", event.rawValue)]).recordNanoseconds(nanoseconds)
    }

    /// Records consumed but not committed on one partition.
    public func commitLag(topic: String, partition: Int32, lag: Int64) {
        self.gauge(Name.commitLag, [("topic", topic), ("partition", String(partition))]).record(lag)
    }

    /// One dead letter published.
    public func deadLettered(stage: DeadLetterStage) {
        self.counter(Name.deadLetters, [("stage", stage.rawValue)]).increment()
    }

    /// Whether the endpoint is failing systemically now.
    public func systemicFailure(_ failing: Bool) {
        self.gauge(Name.systemicFailure, []).record(failing ? 1 : 0)
    }

    /// A server's circuit breaker opened (server ids are configured, a closed set).
    func breakerOpened(server: String) {
        self.counter(Name.breakerOpened, [("server_id", server)]).increment()
    }

    /// A probe of an open breaker came back.
    func breakerProbe(ok: Bool) {
        self.counter(Name.breakerProbes, [("result", ok ? "ok" : "failed")]).increment()
    }

    /// A server's adaptive concurrency limit now.
    func concurrencyLimit(server: String, limit: Int) {
        self.gauge(Name.concurrencyLimit, [("server_id", server)]).record(limit)
    }

    /// A server's adaptive concurrency limit was lowered after an overload answer.
    func concurrencyLimitDecreased(server: String) {
        self.counter(Name.concurrencyLimitDecreases, [("server_id", server)]).increment()
    }

    /// Partitions assigned now.
    public func assignedPartitions(_ count: Int) {
        self.gauge(Name.assignedPartitions, []).record(count)
    }

    /// One record skipped because this group settled it before (commit metadata).
    public func settledEarlier(topic: String) {
        self.counter(Name.settledEarlier, [("topic", topic)]).increment()
    }

    /// One record delivered a second time by the consumer, ignored.
    public func redelivered(topic: String) {
        self.counter(Name.redelivered, [("topic", topic)]).increment()
    }

    /// One offset commit finished.
    public func committed(ok: Bool) {
        self.counter(Name.commits, [("result", ok ? "ok" : "failed")]).increment()
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = Key(label, dimensions)
        return self.counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions, factory: self.factory)
            cache[key] = counter
            return counter
        }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        let key = Key(label, dimensions)
        return self.gauges.withLock { cache in
            if let gauge = cache[key] { return gauge }
            let gauge = Gauge(label: label, dimensions: dimensions, factory: self.factory)
            cache[key] = gauge
            return gauge
        }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> Timer {
        let key = Key(label, dimensions)
        return self.timers.withLock { cache in
            if let timer = cache[key] { return timer }
            let timer = Timer(
                label: label, dimensions: dimensions, preferredDisplayUnit: .seconds, factory: self.factory)
            cache[key] = timer
            return timer
        }
    }
}
