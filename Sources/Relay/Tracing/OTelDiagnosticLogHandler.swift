import Logging

/// The handler of swift-otel's own diagnostic logs: the relay's handler, minus the values
/// swift-otel logs when it reads its environment variables.
///
/// swift-otel logs every `OTEL_*` variable it applies, value included
/// (`environment_value`, `previous_value`, `new_value`), and `OTEL_EXPORTER_OTLP_HEADERS`
/// usually holds a collector's credentials. Those three values are replaced by `<redacted>`,
/// whatever the variable (the key is kept, so the line still says what was set).
struct OTelDiagnosticLogHandler: LogHandler {
    /// The metadata keys whose values swift-otel fills from the environment.
    static let valueKeys: Set<String> = ["environment_value", "previous_value", "new_value"]

    private var wrapped: any LogHandler
    /// The handler's level.
    var logLevel: Logger.Level
    /// Metadata attached to the handler (swift-otel sets the values here).
    var metadata: Logger.Metadata = [:]

    /// Wraps `handler`, whose level becomes `logLevel`.
    init(wrapping handler: any LogHandler, logLevel: Logger.Level) {
        var handler = handler
        handler.logLevel = .trace
        self.wrapped = handler
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        var metadata = self.metadata.merging(event.metadata ?? [:]) { $1 }
        for key in Self.valueKeys where metadata[key] != nil { metadata[key] = "<redacted>" }
        event.metadata = metadata
        self.wrapped.log(event: event)
    }
}
