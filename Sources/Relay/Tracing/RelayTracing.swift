import Foundation
import Logging
import OTel
import ReferralKit
import ServiceLifecycle

/// Trace export over OTLP/HTTP with swift-otel, set up from OpenTelemetry's standard
/// environment variables, or nothing when none asks for it.
///
/// Tracing is on when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is
/// set, unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. swift-otel then reads
/// the others itself (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_PROTOCOL` `http/protobuf` or
/// `http/json`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`, `OTEL_BSP_*`, …). Off, no
/// exporter, processor or tracer exists and the relay's per-record cost is a `nil` check.
///
/// - Important: ``service`` must run in the relay's `ServiceGroup` before the pipeline (so it
///   shuts down after it): its shutdown exports the spans the drain ended.
public struct RelayTracing: Sendable {
    /// The tracer for the pipeline and the MMOLove clients.
    public let tracer: RelayTracer
    /// The batch span processor and exporter; runs until graceful shutdown, then flushes.
    public let service: any Service
    /// Where spans go, for the start-up log line (userinfo and query redacted).
    public let endpoint: String

    /// The service name when `OTEL_SERVICE_NAME` names none.
    public static let defaultServiceName = "referral-relay"

    /// Whether `environment` asks for traces to be exported.
    public static func isRequested(by environment: [String: String]) -> Bool {
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return false }
        if environment["OTEL_TRACES_EXPORTER"]?.lowercased() == "none" { return false }
        return self.endpointSetting(in: environment) != nil
    }

    /// Tracing as `environment` asks for it; `nil` when it does not (see ``isRequested(by:)``).
    ///
    /// - Parameters:
    ///   - environment: The process environment (swift-otel reads the process's own too).
    ///   - logger: swift-otel's diagnostic logs go to its handler, the values it read from the
    ///     environment redacted (``OTelDiagnosticLogHandler``).
    /// - Throws: swift-otel's configuration error, e.g. `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` (not
    ///   built: the relay depends on swift-otel's OTLP/HTTP exporter only).
    public static func fromEnvironment(_ environment: [String: String], logger: Logger) throws -> RelayTracing? {
        guard self.isRequested(by: environment), let endpoint = self.endpointSetting(in: environment) else {
            return nil
        }
        var configuration = OTel.Configuration.default
        configuration.serviceName = self.defaultServiceName
        // Traces only: the relay's metrics are Prometheus' and its logs go to stderr.
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        let handler = logger.handler
        let diagnostic = Logger(label: "swift-otel") { _ in
            OTelDiagnosticLogHandler(wrapping: handler, logLevel: logger.logLevel)
        }
        configuration.diagnosticLogger = .custom(diagnostic)
        // Its problems (an export failing), not a line per variable read (`OTEL_LOG_LEVEL` wins).
        configuration.diagnosticLogLevel = .warning
        let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
        return RelayTracing(
            tracer: RelayTracer(tracer), service: service, endpoint: ReferralEndpoint.redacted(endpoint))
    }

    /// swift-otel's logging metadata provider: `trace_id`, `span_id` and `trace_flags` of the
    /// current span on every log line written inside one.
    public static var logMetadataProvider: Logger.MetadataProvider {
        OTel.makeLoggingMetadataProvider()
    }

    private static func endpointSetting(in environment: [String: String]) -> String? {
        for key in ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"] {
            if let value = environment[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return value }
        }
        return nil
    }
}
