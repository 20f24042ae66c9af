import Foundation
import Testing

/// Locates and runs the built `referral-relay` executable.
enum Executable {
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "referral-relay not found at \(path): build it first with `swift build --build-tests`"
        }
    }

    /// `.build/debug/referral-relay`: the directory of the test runner binary.
    static func url() throws -> URL {
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        // On Linux the runner is `.build/debug/<package>PackageTests.xctest`; walk up until the
        // executable sits beside us (covers bundle layouts too).
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("referral-relay")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw Missing(path: runner.deletingLastPathComponent().appendingPathComponent("referral-relay").path)
    }

    /// Runs the executable to completion, reading stdout and stderr side by side (one pipe
    /// filling up while the other is read would stall the child) on threads of their own.
    ///
    /// - Returns: The exit status, stdout and stderr.
    /// - Parameter killAfter: When given, the child is killed (`SIGKILL`) if it still runs then.
    static func run(_ arguments: [String], environment: [String: String], killAfter: Duration? = nil) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        try await self.run(executable: try self.url(), arguments, environment: environment, killAfter: killAfter)
    }

    /// Runs any executable to completion the same way (`kcat` in the broker tests).
    static func run(
        executable: URL,
        _ arguments: [String],
        environment: [String: String]?,
        killAfter: Duration? = nil
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // A child that hangs fails its test with what it printed (status 9), rather than running
        // into the suite's time limit and outliving the test process.
        let watchdog = killAfter.map { limit in
            let pid = process.processIdentifier
            let kill = DispatchWorkItem { _ = Foundation.kill(pid, SIGKILL) }
            let (seconds, attoseconds) = limit.components
            let milliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds), execute: kill)
            return kill
        }
        defer { watchdog?.cancel() }
        async let stdout = offThePool { out.fileHandleForReading.readDataToEndOfFile() }
        async let stderr = offThePool { err.fileHandleForReading.readDataToEndOfFile() }
        let (output, errors) = try await (stdout, stderr)
        await process.exited()
        return (
            process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self)
        )
    }
}
