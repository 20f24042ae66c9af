import Logging

/// A swift-log handler that writes one JSON object per line, what log collectors parse:
/// `ts` (RFC 3339, UTC, milliseconds), `level`, `logger` (the label), `msg`, then the metadata
/// (handler, provider and per-call, later ones winning) as top-level fields, nested metadata as
/// JSON objects and arrays, and `error.message`/`error.type` when an error is attached.
///
/// Everything passes through a ``LogRedactor`` first, so a configured secret never reaches the
/// sink. A metadata key equal to one of the four fixed fields is written as `meta.<key>` so no
/// object has a duplicate key.
///
/// - Important: Each line is formatted completely, then handed to the ``LogSink`` in one call, so
///   concurrent loggers never interleave within a line.
public struct JSONLogHandler: LogHandler {
    /// The fields every line starts with, in this order.
    static let fixedFields: Set<String> = ["ts", "level", "logger", "msg"]

    /// The label, written as `logger`.
    public let label: String
    /// Applied to message, metadata and error descriptions.
    public let redactor: LogRedactor
    /// Receives the lines.
    public let sink: LogSink
    /// The handler's level (set through `Logger.logLevel`).
    public var logLevel: Logger.Level
    /// Metadata attached to the handler (set through `Logger[metadataKey:]`).
    public var metadata: Logger.Metadata = [:]
    /// Contextual metadata (task locals), merged under the handler's and the call's.
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The logger's label.
    ///   - logLevel: The lowest level written.
    ///   - redactor: What to hide.
    ///   - sink: Where lines go (``LogSink/standardError`` in production).
    ///   - metadataProvider: Contextual metadata, if any.
    public init(
        label: String,
        logLevel: Logger.Level = .info,
        redactor: LogRedactor = LogRedactor(),
        sink: LogSink = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.logLevel = logLevel
        self.redactor = redactor
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let fields = self.redactor.redact(
            Self.mergedMetadata(
                handler: self.metadata, provider: self.metadataProvider, call: event.metadata, error: event.error))
        var line = JSONLineWriter()
        line.beginObject()
        line.field("ts", string: RFC3339Timestamp.now())
        line.field("level", string: event.level.rawValue)
        line.field("logger", string: self.label)
        line.field("msg", string: self.redactor.redact(event.message.description))
        for key in fields.keys.sorted() {
            line.key(Self.fixedFields.contains(key) ? "meta.\(key)" : key)
            line.value(fields[key]!)
        }
        line.endObject()
        line.newline()
        self.sink.write(line.bytes)
    }

    /// The metadata of one event: handler, then provider, then the call's, later ones winning;
    /// an attached error adds `error.message` and `error.type` (as swift-log's own handler does).
    static func mergedMetadata(
        handler: Logger.Metadata,
        provider: Logger.MetadataProvider?,
        call: Logger.Metadata?,
        error: (any Error)?
    ) -> Logger.Metadata {
        var merged = handler
        if let provided = provider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, provided in provided }
        }
        if let call, !call.isEmpty {
            merged.merge(call) { _, call in call }
        }
        if let error {
            merged["error.message"] = .string(String(describing: error))
            merged["error.type"] = .string(String(reflecting: type(of: error)))
        }
        return merged
    }
}
