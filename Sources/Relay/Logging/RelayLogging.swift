import Logging
import ReferralKit

/// Sets up the process's logging from the relay configuration: level, format (JSON lines or
/// swift-log's text) and a redactor built from the configured secrets.
public enum RelayLogging {
    /// Bootstraps swift-log for the process with handlers from ``makeHandler(label:configuration:sink:)``
    /// writing to standard error.
    ///
    /// - Important: Call it once, from the executable, before any logger is created; swift-log
    ///   allows one bootstrap per process. Library code and tests use ``makeHandler(label:configuration:sink:)``.
    /// - Parameters:
    ///   - configuration: Supplies level, format and the secrets to redact.
    ///   - metadataProvider: Contextual metadata for every line, e.g. the current span's
    ///     `trace_id`/`span_id` (``RelayTracing/logMetadataProvider``); `nil`: none.
    /// - Returns: The redactor every handler uses; give it to
    ///   ``buildRelay(configuration:logger:redactor:tracing:onOpsListening:)`` so secrets loaded by a
    ///   rotation are redacted too.
    @discardableResult
    public static func bootstrap(
        configuration: RelayConfiguration,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> LogRedactor {
        let redactor = self.redactor(for: configuration)
        let level = configuration.logLevel
        let format = configuration.logFormat
        LoggingSystem.bootstrap { label in
            self.makeHandler(
                label: label, level: level, format: format, redactor: redactor, sink: .standardError,
                metadataProvider: metadataProvider)
        }
        return redactor
    }

    /// A handler as ``bootstrap(configuration:)`` would create it, writing to `sink`.
    ///
    /// - Parameters:
    ///   - label: The logger's label.
    ///   - configuration: Supplies level, format and the secrets to redact.
    ///   - sink: Where lines go.
    public static func makeHandler(
        label: String,
        configuration: RelayConfiguration,
        sink: LogSink = .standardError
    ) -> any LogHandler {
        self.makeHandler(
            label: label,
            level: configuration.logLevel,
            format: configuration.logFormat,
            redactor: self.redactor(for: configuration),
            sink: sink
        )
    }

    /// The redactor for `configuration`: every MMOLove secret, every secret-bearing librdkafka
    /// property value and its pieces, every other property value (any of them may carry a
    /// credential under a name that does not say so), and the endpoint's userinfo and query.
    public static func redactor(for configuration: RelayConfiguration) -> LogRedactor {
        let credentials = configuration.mmolove.credentials
        return LogRedactor(
            secrets: credentials.serverIDs.compactMap { credentials[$0] },
            kafkaProperties: configuration.kafka.properties,
            endpoint: configuration.mmolove.endpoint
        )
    }

    static func makeHandler(
        label: String,
        level: Logger.Level,
        format: RelayConfiguration.LogFormat,
        redactor: LogRedactor,
        sink: LogSink,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> any LogHandler {
        switch format {
        case .json:
            return JSONLogHandler(
                label: label, logLevel: level, redactor: redactor, sink: sink, metadataProvider: metadataProvider)
        case .text:
            let stream = StreamLogHandler(label: label, stream: LogSinkStream(sink: sink), metadataProvider: nil)
            return RedactingLogHandler(
                wrapping: stream, redactor: redactor, logLevel: level, metadataProvider: metadataProvider)
        }
    }
}
