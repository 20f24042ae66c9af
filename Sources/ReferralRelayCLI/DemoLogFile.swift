import Foundation
import Logging
import Synchronization

/// The file the demo sends every log line to (relay, Kafka clients, broker), so the terminal
/// shows the demo itself; its path is printed for whoever wants the details.
final class DemoLogFile: Sendable {
    /// The file's path.
    let path: String
    private let handle: Mutex<FileHandle>

    /// Creates (or truncates) the file.
    ///
    /// - Throws: When it cannot be created.
    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        self.path = path
        self.handle = Mutex(try FileHandle(forWritingTo: URL(fileURLWithPath: path)))
    }

    deinit {
        self.handle.withLock { try? $0.close() }
    }

    /// A logger writing to the file at `level` and above.
    func logger(_ label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { label in Handler(label: label, file: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func write(_ line: String) {
        self.handle.withLock { $0.write(Data(line.utf8)) }
    }

    /// One text line per entry: time, level, label, message, metadata.
    private struct Handler: LogHandler {
        let label: String
        let file: DemoLogFile
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { _, new in new }
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
            self.file.write(
                "\(time) \(event.level) \(self.label): \(event.message)\(fields.isEmpty ? "" : " " + fields)\n")
        }
    }
}
