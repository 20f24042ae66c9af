import CoreMetrics
import Prometheus

/// The relay's metrics registry: a Prometheus collector registry of its own and the swift-metrics
/// factory that feeds it, rendered by the ops server's `/metrics`.
///
/// - Important: Library code never bootstraps the global `MetricsSystem`: tests run several relays
///   in one process, and each must count only its own records. Hand ``factory`` to
///   ``RelayMetrics/init(factory:)`` instead.
public final class RelayTelemetry: Sendable {
    /// Upper bounds of the HTTP attempt histogram, 5 ms to 30 s: the fast path is a few
    /// milliseconds on a LAN, the slow tail runs up to the request timeout (10 s by default, and
    /// up to 30 s when raised).
    public static let httpDurationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30),
    ]

    /// The registry every metric of this relay lives in.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory over ``registry``: timers become histograms in seconds with
    /// ``httpDurationBuckets``.
    public let factory: any MetricsFactory

    /// Creates an empty registry and its factory.
    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Every timer of the relay is an HTTP latency; the per-label entry documents which one the
        // buckets are chosen for, the default covers any timer added later.
        factory.defaultDurationHistogramBuckets = Self.httpDurationBuckets
        factory.durationHistogramBuckets[RelayMetrics.Name.httpDuration] = Self.httpDurationBuckets
        self.registry = registry
        self.factory = factory
    }

    /// The current values in the Prometheus text exposition format (version 0.0.4).
    public func exposition() -> String {
        self.registry.emitToString()
    }

    /// The current values in the Prometheus text exposition format, as UTF-8 bytes.
    public func expositionBytes() -> [UInt8] {
        self.registry.emitToBuffer()
    }
}
