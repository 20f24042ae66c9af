import Logging

extension DeliveryHarness {
    /// A swift-log handler that keeps every line in memory, so a test can read what an operator
    /// would see.
    struct LogRecorder: LogHandler {
        /// One emitted line.
        struct Line: Sendable {
            var level: Logger.Level
            var message: String
            var metadata: Logger.Metadata
        }

        let lines = Locked<[Line]>([])
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let line = Line(
                level: event.level,
                message: event.message.description,
                metadata: self.metadata.merging(event.metadata ?? [:]) { $1 }
            )
            self.lines.withLock { $0.append(line) }
        }

        /// A logger writing into this recorder.
        var logger: Logger { Logger(label: "delivery-tests") { _ in self } }

        /// Every line rendered as text (message and metadata).
        var text: [String] { self.lines.current.map { "\($0.level) \($0.message) \($0.metadata)" } }
    }
}
