import Foundation

/// A `referral-relay sandbox` child process; ``stop()`` terminates it (call it in a `defer`).
final class RunningSandbox {
    let process: Process
    /// The printed base URL, e.g. `http://127.0.0.1:40123`.
    let baseURL: String
    private let output: Pipe

    /// Starts `sandbox --port 0 …` and waits for its `sandbox listening on <url>` line.
    ///
    /// - Parameters:
    ///   - arguments: The arguments after `sandbox`.
    ///   - standardError: Where its logs go (a file, so a chatty log level never blocks on a pipe).
    /// - Throws: When it exits or prints nothing usable.
    init(arguments: [String], standardError: FileHandle = .nullDevice) throws {
        let process = Process()
        process.executableURL = try Executable.url()
        process.arguments = ["sandbox"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = standardError
        try process.run()
        self.process = process
        self.output = output
        var buffer = Data()
        let handle = output.fileHandleForReading
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty {
                process.terminate()
                struct Exited: Error {}
                throw Exited()
            }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        let prefix = "sandbox listening on "
        guard line.hasPrefix(prefix) else {
            process.terminate()
            struct UnexpectedOutput: Error { var line: String }
            throw UnexpectedOutput(line: line)
        }
        self.baseURL = String(line.dropFirst(prefix.count))
    }

    /// Sends SIGTERM and waits for the exit.
    func stop() {
        if self.process.isRunning {
            self.process.terminate()
        }
        self.process.waitUntilExit()
    }
}
