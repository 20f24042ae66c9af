import Foundation
import Relay
import Synchronization
import Testing

/// Collects what a ``LogSink`` receives, as one byte stream (the way a file or pipe would).
final class LogLines: Sendable {
    private let bytes = Mutex<[UInt8]>([])

    /// A sink appending to this collector.
    var sink: LogSink {
        LogSink { line in self.bytes.withLock { $0.append(contentsOf: line) } }
    }

    /// Everything written, as text.
    var text: String { String(decoding: self.bytes.withLock { $0 }, as: UTF8.self) }

    /// The lines written (without their newline).
    var lines: [String] {
        self.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Every line parsed as a JSON object; a line that is not one fails the test.
    func objects(sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        try self.lines.map { line in
            try #require(
                JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                "not a JSON object: \(line)",
                sourceLocation: sourceLocation
            )
        }
    }
}
