import Logging
import Synchronization

/// A swift-log handler that keeps every message's text and metadata, so a test can check what
/// librdkafka said through the Kafka module's log callback.
final class ConfigurationLogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    /// A logger writing into this capture at `trace` level.
    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Every line so far: level, message and metadata values.
    var messages: [String] { self.lines.withLock { $0 } }

    fileprivate func append(_ line: String) {
        self.lines.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let capture: ConfigurationLogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let values = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            self.capture.append("\(event.level) \(event.message) \(values)")
        }
    }
}
