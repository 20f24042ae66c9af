import Foundation

/// Prometheus's own linter for the exposition format (`promtool check metrics`, from Debian's
/// `prometheus` package), run on a thread of its own so no test blocks the cooperative pool.
enum Promtool {
    static let path = "/usr/bin/promtool"

    /// Whether promtool is installed (the tests that use it are skipped otherwise).
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: Self.path) }

    /// `promtool check metrics` on `text`.
    ///
    /// - Returns: Its exit status and what it printed (the problems it found).
    static func checkMetrics(_ text: String) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: Self.path)
                        process.arguments = ["check", "metrics"]
                        let input = Pipe()
                        let output = Pipe()
                        process.standardInput = input
                        process.standardOutput = output
                        process.standardError = output
                        try process.run()
                        input.fileHandleForWriting.write(Data(text.utf8))
                        try input.fileHandleForWriting.close()
                        let printed = output.fileHandleForReading.readDataToEndOfFile()
                        process.waitUntilExit()
                        return (process.terminationStatus, String(decoding: printed, as: UTF8.self))
                    })
            }
        }
    }
}
