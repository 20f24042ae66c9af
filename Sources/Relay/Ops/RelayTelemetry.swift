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
        String(decoding: self.expositionBytes(), as: UTF8.self)
    }

    /// The current values in the Prometheus text exposition format, as UTF-8 bytes, with a
    /// `# HELP` line for every metric of ``RelayMetrics/descriptions``.
    public func expositionBytes() -> [UInt8] {
        Self.addingHelp(to: self.registry.emitToBuffer())
    }

    /// The help lines, by the `# TYPE <name> ` line they go before.
    private static let helpLines: [String: [UInt8]] = Dictionary(
        uniqueKeysWithValues: RelayMetrics.descriptions.map {
            ("# TYPE \($0.name) ", Array("# HELP \($0.name) \($0.help)\n".utf8))
        })

    /// Inserts `# HELP` before each `# TYPE` line of a described metric: swift-metrics carries no
    /// help text, so the Prometheus factory writes none, and `promtool check metrics` wants one.
    static func addingHelp(to exposition: [UInt8]) -> [UInt8] {
        guard !exposition.isEmpty else { return [] }
        var result: [UInt8] = []
        result.reserveCapacity(exposition.count + 2_048)
        for line in exposition.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line.starts(with: "# TYPE ".utf8), let space = line.dropFirst(7).firstIndex(of: UInt8(ascii: " ")),
                let help = Self.helpLines[String(decoding: line[...space], as: UTF8.self)]
            {
                result += help
            }
            result += line
            result.append(UInt8(ascii: "\n"))
        }
        // `split` keeps the empty piece after the final newline: do not add a second one.
        if exposition.last == UInt8(ascii: "\n") { result.removeLast() }
        return result
    }
}
