import Foundation

/// A `referral-relay <subcommand>` child process that announces itself with one stdout line
/// (`sandbox listening on <url>`, `bootstrap: <servers>`); ``terminate()`` ends it (call it in
/// a `defer`), ``stop()`` ends it and awaits the exit. Nothing here blocks the cooperative pool.
final class RunningProcess {
    /// Thrown when the child exits, or prints something else, before its announcement.
    struct NotStarted: Error, CustomStringConvertible {
        var output: String
        var description: String { "the child printed no announcement line; output: \(output)" }
    }

    let process: Process
    /// The announcement line after its prefix.
    let announced: String
    private let output: Pipe

    /// Starts `referral-relay <arguments>` and waits for a stdout line starting with `prefix`.
    ///
    /// - Parameters:
    ///   - arguments: The subcommand and its arguments.
    ///   - prefix: The start of the announcement line.
    ///   - standardError: Where its logs go (a file, so a chatty log level never blocks on a pipe).
    /// - Throws: ``NotStarted`` when it exits or announces nothing usable.
    init(arguments: [String], announcing prefix: String, standardError: FileHandle = .nullDevice) async throws {
        let process = Process()
        process.executableURL = try Executable.url()
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = standardError
        try process.run()
        self.process = process
        self.output = output
        let handle = output.fileHandleForReading
        let buffer = try await offThePool {
            var buffer = Data()
            while !buffer.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
            }
            return buffer
        }
        let line = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard line.hasPrefix(prefix) else {
            process.terminate()
            throw NotStarted(output: line)
        }
        self.announced = String(line.dropFirst(prefix.count))
    }

    /// Sends SIGTERM and waits for the exit.
    ///
    /// - Returns: The exit status.
    @discardableResult
    func stop() async -> Int32 {
        self.terminate()
        await self.process.exited()
        return self.process.terminationStatus
    }

    /// Sends SIGTERM without waiting (for a `defer`, which cannot await).
    func terminate() {
        if self.process.isRunning {
            self.process.terminate()
        }
    }
}
