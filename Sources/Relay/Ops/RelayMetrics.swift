import CoreMetrics
import Kafka
import ReferralKit
import Synchronization

/// The relay's metrics, created against an explicit swift-metrics factory (the ops server's
/// Prometheus registry in production, so several relays in one test process do not share
/// global state). Metric objects are cached per label set: creating them per event would cost
/// a factory lookup on the hot path. `docs/METRICS.md` is the reference of what is exported.
///
/// Labels are closed sets or topic names, never account ids, tokens or secrets. `server_id` is
/// one of the configured servers; an event naming another server (or none, without a default)
/// is counted as ``unconfiguredServer``, so input cannot create series.
public final class RelayMetrics: Sendable {
    /// The `server_id` label of events whose server is not configured (they are rejected before
    /// any request).
    public static let unconfiguredServer = "unconfigured"

    /// A label and its value.
    typealias Dimension = (name: String, value: String)

    /// A cached metric's identity: its name and label values (every metric here has at most
    /// three labels, whose names follow from the metric). Built per event without allocating:
    /// the dimensions come as separate arguments, not an array (an array literal per call was a
    /// heap allocation per event), and short strings are stored inline.
    struct Key: Hashable {
        var label: String
        var first: String
        var second: String
        var third: String

        init(_ label: String, _ first: Dimension?, _ second: Dimension?, _ third: Dimension?) {
            self.label = label
            self.first = first?.value ?? ""
            self.second = second?.value ?? ""
            self.third = third?.value ?? ""
        }
    }

    let factory: any MetricsFactory
    /// The configured server ids: the values `server_id` may take (with ``unconfiguredServer``).
    private let servers: Set<String>
    private let counters = Mutex<[Key: Counter]>([:])
    private let gauges = Mutex<[Key: Gauge]>([:])
    private let timers = Mutex<[Key: Timer]>([:])
    /// The per-partition gauges and the partitions whose series were removed (see
    /// `RelayMetrics+Partitions.swift`).
    let partitionSeries = Mutex(PartitionSeries())
    /// Recorded after every scheduling step: created once.
    private let inFlightGauge: Gauge
    /// The same events counted since the last `relay progress` line (``takeProgress()``).
    private let progress = Mutex(RelayProgress())

    /// Creates the metrics on `factory`, and sets `relay_build_info`.
    ///
    /// - Parameters:
    ///   - factory: Where the metrics live.
    ///   - serverIDs: The configured MMOLove servers (the values of the `server_id` label).
    public init(factory: any MetricsFactory, serverIDs: some Sequence<String>) {
        self.factory = factory
        self.servers = Set(serverIDs)
        self.inFlightGauge = Gauge(label: Name.inFlight, dimensions: [], factory: factory)
        Gauge(
            label: Name.buildInfo,
            dimensions: [("version", ReferralRelayVersion.current), ("librdkafka", ReferralRelayVersion.librdkafka)],
            factory: factory
        ).record(1)
    }

    /// The `server_id` label of an event for `serverID`.
    func serverLabel(_ serverID: String?) -> String {
        guard let serverID, self.servers.contains(serverID) else { return Self.unconfiguredServer }
        return serverID
    }

    /// One record consumed from `topic`.
    public func consumed(topic: String) {
        self.counter(Name.consumed, ("topic", topic)).increment()
        self.progress.withLock { $0.recordRead() }
    }

    /// A milestone's token differed from the referee store's.
    public func refereeTokenConflict() {
        self.counter(Name.refereeTokenConflicts).increment()
    }

    /// One record skipped.
    public func skipped(topic: String, reason: SkipReason) {
        self.counter(Name.skipped, ("topic", topic), ("reason", reason.rawValue)).increment()
        self.progress.withLock { $0.recordSkip(reason: reason) }
    }

    /// One outcome published for an event of `server`.
    public func delivered(event: ReferralEvent.Kind, status: OutcomeStatus, server: String?) {
        self.counter(
            Name.deliveries,
            ("event", event.rawValue), ("status", status.rawValue), ("server_id", self.serverLabel(server))
        ).increment()
        self.progress.withLock { $0.recordOutcome(event: event, status: status) }
    }

    /// One attempt repeated for an event of `server`.
    public func retried(event: ReferralEvent.Kind, reason: RetryReason, server: String?) {
        self.counter(
            Name.retries,
            ("event", event.rawValue), ("reason", reason.rawValue), ("server_id", self.serverLabel(server))
        ).increment()
        self.progress.withLock { $0.recordRetry(reason: reason) }
    }

    /// The number of referral events in flight now.
    public func inFlight(_ count: Int) {
        self.inFlightGauge.record(count)
    }

    /// One HTTP attempt to `server` took `duration`.
    public func httpAttempt(event: ReferralEvent.Kind, server: String?, duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        self.timer(Name.httpDuration, ("event", event.rawValue), ("server_id", self.serverLabel(server)))
            .recordNanoseconds(nanoseconds)
    }

    /// One dead letter published.
    public func deadLettered(stage: DeadLetterStage) {
        self.counter(Name.deadLetters, ("stage", stage.rawValue)).increment()
        self.progress.withLock { $0.recordDeadLetter(stage: stage) }
    }

    /// Whether the endpoint is failing systemically now.
    public func systemicFailure(_ failing: Bool) {
        self.gauge(Name.systemicFailure).record(failing ? 1 : 0)
    }

    /// A server's circuit breaker opened.
    func breakerOpened(server: String) {
        self.counter(Name.breakerOpened, ("server_id", self.serverLabel(server))).increment()
    }

    /// A probe of `server`'s open breaker came back.
    func breakerProbe(server: String, ok: Bool) {
        self.counter(Name.breakerProbes, ("server_id", self.serverLabel(server)), ("result", ok ? "ok" : "failed"))
            .increment()
    }

    /// A server's adaptive concurrency limit now.
    func concurrencyLimit(server: String, limit: Int) {
        self.gauge(Name.concurrencyLimit, ("server_id", server)).record(limit)
    }

    /// A server's adaptive concurrency limit was lowered after an overload answer.
    func concurrencyLimitDecreased(server: String) {
        self.counter(Name.concurrencyLimitDecreases, ("server_id", server)).increment()
    }

    /// Partitions assigned now.
    public func assignedPartitions(_ count: Int) {
        self.gauge(Name.assignedPartitions).record(count)
    }

    /// One record skipped because this group settled it before (commit metadata).
    public func settledEarlier(topic: String) {
        self.counter(Name.settledEarlier, ("topic", topic)).increment()
    }

    /// One record delivered a second time by the consumer, ignored.
    public func redelivered(topic: String) {
        self.counter(Name.redelivered, ("topic", topic)).increment()
    }

    /// One offset commit finished.
    public func committed(ok: Bool) {
        self.counter(Name.commits, ("result", ok ? "ok" : "failed")).increment()
    }

    /// What was counted since the last call (or since start), and starts counting afresh.
    func takeProgress() -> RelayProgress {
        self.progress.withLock { progress in
            defer { progress = RelayProgress() }
            return progress
        }
    }

    private func counter(
        _ label: String, _ first: Dimension? = nil, _ second: Dimension? = nil, _ third: Dimension? = nil
    ) -> Counter {
        let key = Key(label, first, second, third)
        return self.counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(
                label: label, dimensions: Self.dimensions(first, second, third), factory: self.factory)
            cache[key] = counter
            return counter
        }
    }

    private func gauge(
        _ label: String, _ first: Dimension? = nil, _ second: Dimension? = nil, _ third: Dimension? = nil
    ) -> Gauge {
        let key = Key(label, first, second, third)
        return self.gauges.withLock { cache in
            if let gauge = cache[key] { return gauge }
            let gauge = Gauge(label: label, dimensions: Self.dimensions(first, second, third), factory: self.factory)
            cache[key] = gauge
            return gauge
        }
    }

    private func timer(
        _ label: String, _ first: Dimension? = nil, _ second: Dimension? = nil, _ third: Dimension? = nil
    ) -> Timer {
        let key = Key(label, first, second, third)
        return self.timers.withLock { cache in
            if let timer = cache[key] { return timer }
            let timer = Timer(
                label: label, dimensions: Self.dimensions(first, second, third), preferredDisplayUnit: .seconds,
                factory: self.factory)
            cache[key] = timer
            return timer
        }
    }

    /// The dimensions given, in order, for creating a metric (once per label set).
    private static func dimensions(_ dimensions: Dimension?...) -> [(String, String)] {
        dimensions.compactMap { $0.map { ($0.name, $0.value) } }
    }
}
