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

    /// Runs the executable to completion.
    ///
    /// - Returns: The exit status, stdout and stderr.
    static func run(_ arguments: [String], environment: [String: String]) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = try self.url()
        process.arguments = arguments
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self)
        )
    }
}
