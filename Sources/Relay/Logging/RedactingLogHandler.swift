import Logging

/// Redacts every event before handing it to another handler: the `text` log format wraps
/// swift-log's `StreamLogHandler` in it, so secrets are hidden whatever the format.
///
/// It owns the metadata and level itself (the wrapped handler's stay empty), so handler metadata
/// is redacted too; an attached error is turned into redacted `error.message`/`error.type`
/// metadata because its description cannot be rewritten in place.
public struct RedactingLogHandler: LogHandler {
    /// Applied to message, metadata and error descriptions.
    public let redactor: LogRedactor
    private var wrapped: any LogHandler
    /// The handler's level.
    public var logLevel: Logger.Level
    /// Metadata attached to the handler.
    public var metadata: Logger.Metadata = [:]
    /// Contextual metadata, merged under the handler's and the call's.
    public var metadataProvider: Logger.MetadataProvider?

    /// Wraps `handler`, whose level becomes `logLevel`.
    public init(
        wrapping handler: any LogHandler,
        redactor: LogRedactor,
        logLevel: Logger.Level,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        var handler = handler
        handler.logLevel = .trace
        handler.metadata = [:]
        self.wrapped = handler
        self.redactor = redactor
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.metadata = self.redactor.redact(
            JSONLogHandler.mergedMetadata(
                handler: self.metadata, provider: self.metadataProvider, call: event.metadata, error: event.error))
        event.error = nil
        event.message = "\(self.redactor.redact(event.message.description))"
        self.wrapped.log(event: event)
    }
}

/// Feeds `StreamLogHandler`'s text into a ``LogSink``; it writes one string per line.
struct LogSinkStream: TextOutputStream, Sendable {
    let sink: LogSink

    mutating func write(_ string: String) {
        self.sink.write(Array(string.utf8))
    }
}
