import Foundation
import Logging
import Relay
import Synchronization

/// The file the demo sends every log line to (relay, Kafka clients, broker, sandbox), so the
/// terminal shows the demo itself; its path is printed for whoever wants the details.
///
/// Lines are written by the relay's own ``JSONLogHandler``, exactly as `referral-relay run`
/// writes them to stderr: one JSON object per line, with the demo's secret redacted.
final class DemoLogFile: Sendable {
    /// The file's path.
    let path: String
    private let handle: Mutex<FileHandle>

    /// Creates (or truncates) the file.
    ///
    /// - Throws: When it cannot be created.
    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw DemoError("cannot create the log file \(path)")
        }
        self.path = path
        self.handle = Mutex(try FileHandle(forWritingTo: URL(fileURLWithPath: path)))
    }

    deinit {
        self.handle.withLock { try? $0.close() }
    }

    /// A logger writing JSON lines to the file at `level` and above, hiding `redactor`'s values.
    func logger(_ label: String, level: Logger.Level, redactor: LogRedactor) -> Logger {
        let sink = LogSink { [self] line in self.write(line) }
        var logger = Logger(label: label) { label in
            JSONLogHandler(label: label, logLevel: level, redactor: redactor, sink: sink)
        }
        logger.logLevel = level
        return logger
    }

    private func write(_ line: [UInt8]) {
        self.handle.withLock { $0.write(Data(line)) }
    }
}
