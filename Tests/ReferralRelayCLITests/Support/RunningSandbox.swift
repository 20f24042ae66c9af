import Foundation

/// A `referral-relay sandbox` child process; ``terminate()`` ends it (call it in a `defer`),
/// ``stop()`` ends it and awaits the exit.
final class RunningSandbox {
    private let child: RunningProcess
    /// The printed base URL, e.g. `http://127.0.0.1:40123`.
    var baseURL: String { self.child.announced }
    /// The child process itself.
    var process: Process { self.child.process }

    /// Starts `sandbox --port 0 …` and waits for its `sandbox listening on <url>` line.
    ///
    /// - Parameters:
    ///   - arguments: The arguments after `sandbox`.
    ///   - standardError: Where its logs go (a file, so a chatty log level never blocks on a pipe).
    /// - Throws: When it exits or prints nothing usable.
    init(arguments: [String], standardError: FileHandle = .nullDevice) async throws {
        self.child = try await RunningProcess(
            arguments: ["sandbox"] + arguments,
            announcing: "sandbox listening on ",
            standardError: standardError
        )
    }

    /// Sends SIGTERM and waits for the exit.
    func stop() async {
        await self.child.stop()
    }

    /// Sends SIGTERM without waiting.
    func terminate() {
        self.child.terminate()
    }
}
