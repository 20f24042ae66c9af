import Foundation
import Synchronization

/// The demo's terminal: unbuffered writes to stdout, so progress shows at once even through a
/// pipe (`print` is block-buffered when stdout is not a terminal).
enum DemoConsole {
    /// Whether stdout is a terminal (then progress rewrites one line in place).
    static let isTerminal = isatty(STDOUT_FILENO) == 1
    /// Whether an in-place progress line is on screen without its newline yet.
    private static let progressPending = Mutex(false)

    /// Writes one line (after ending a pending progress line).
    static func line(_ text: String = "") {
        let pending = self.progressPending.withLock { pending in
            defer { pending = false }
            return pending
        }
        self.write((pending ? "\n" : "") + text + "\n")
    }

    /// Writes a progress line: in place on a terminal, as a new line otherwise.
    static func progress(_ text: String) {
        guard self.isTerminal else { return self.line(text) }
        self.progressPending.withLock { $0 = true }
        self.write("\r\u{1B}[K" + text)
    }

    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// `text` padded with spaces to `width` characters.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `text` right-aligned in `width` characters.
    static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// `1.25 s` → `1.3s`.
    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return String(format: "%.1fs", value)
    }
}
