import Foundation

/// `referral-relay run` as a child process, configured through the environment
/// (docs/CONFIGURATION.md), so its memory is its own; logs go to a file.
final class ChildRelay: Sendable {
    /// The child's process id.
    let pid: Int32
    /// Where its JSON logs go.
    let logPath: String
    private let process: Process

    /// Starts the relay.
    ///
    /// - Parameters:
    ///   - executable: Path of `referral-relay`.
    ///   - environment: `KAFKA_*`, `RELAY_*`, `MMOLOVE_*` settings (added to this process's
    ///     environment minus any such settings of its own).
    /// - Throws: When the process cannot be started.
    init(executable: String, environment: [String: String], arguments: [String] = ["run"]) throws {
        let logPath = NSTemporaryDirectory() + "referral-relay-bench-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw BenchError("cannot write \(logPath)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let prefixes = ["KAFKA_", "RELAY_", "MMOLOVE_", "RDKAFKA_"]
        var merged = ProcessInfo.processInfo.environment.filter { key, _ in
            !prefixes.contains { key.hasPrefix($0) }
        }
        merged.merge(environment) { _, new in new }
        // The referee store's copy in a directory of its own (the broker is new every run).
        if merged["RELAY_REFEREE_STORE_DIR"] == nil {
            merged["RELAY_REFEREE_STORE_DIR"] =
                FileManager.default.temporaryDirectory.appendingPathComponent(
                    "referral-relay-bench-referees-\(UUID().uuidString)"
                ).path
        }
        process.environment = merged
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        self.pid = process.processIdentifier
        self.logPath = logPath
    }

    /// The environment of a child `referral-relay run` against this process's broker and sink:
    /// the product defaults, but the ops server on a free loopback port, info logs (the ops port
    /// is read from an info line, ``opsPort(timeout:)``) and a 2 s drain.
    static func runEnvironment(broker: BenchBroker, endpoint: String, groupID: String) -> [String: String] {
        [
            "KAFKA_BROKERS": broker.cluster.bootstrapServers,
            "KAFKA_GROUP_ID": groupID,
            "MMOLOVE_ENDPOINT": endpoint,
            "MMOLOVE_SERVER_ID": InputRecords.serverID,
            "MMOLOVE_REFERRAL_SECRET": "whsec_bench_not_a_real_secret",
            "RELAY_QUALIFYING_MILESTONES": InputRecords.qualifyingMilestone,
            "RELAY_OPS_PORT": "0",
            "RELAY_OPS_HOST": "127.0.0.1",
            "RELAY_LOG_LEVEL": "info",
            "RELAY_DRAIN_TIMEOUT_SECONDS": "2",
        ]
    }

    /// The ops port, read from the relay's "ops server listening" log line.
    ///
    /// - Throws: ``BenchError`` when it does not appear within `timeout` or the child exited.
    func opsPort(timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        let key = "\"relay.ops.port\":"
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: self.logPath, encoding: .utf8),
                let range = text.range(of: key)
            {
                let digits = text[range.upperBound...].drop { $0 == "\"" || $0 == " " }.prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
            guard self.process.isRunning else {
                throw BenchError(
                    "referral-relay exited with status \(self.process.terminationStatus); log: \(self.logPath)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("referral-relay did not log its ops port within \(timeout); log: \(self.logPath)")
    }

    /// Whether it is still running.
    var isRunning: Bool { self.process.isRunning }

    /// Waits up to `timeout` for the child to exit by itself.
    ///
    /// - Returns: The exit status, `nil` when it still runs.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return self.process.isRunning ? nil : self.process.terminationStatus
    }

    /// Runs `body` with the child, then stops it with SIGTERM and requires exit status 0; the
    /// child is stopped (and killed if it must be) whatever `body` does.
    ///
    /// - Throws: What `body` throws, or ``BenchError`` when the relay did not exit 0.
    func stoppingAfter<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        let result: Result
        do {
            result = try await body()
        } catch {
            _ = await self.stop(timeout: .seconds(10))
            throw error
        }
        let status = await self.stop(timeout: .seconds(30))
        guard status == 0 else {
            throw BenchError(
                "referral-relay exited with \(status.map { String($0) } ?? "SIGKILL"); log: \(self.logPath)")
        }
        return result
    }

    /// Sends SIGTERM and waits up to `timeout` for a graceful exit, then SIGKILL.
    ///
    /// - Returns: The exit status (`nil` when it had to be killed).
    func stop(timeout: Duration) async -> Int32? {
        guard self.process.isRunning else { return self.process.terminationStatus }
        self.process.terminate()
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        guard !self.process.isRunning else {
            kill(self.pid, SIGKILL)
            while self.process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            return nil
        }
        return self.process.terminationStatus
    }
}
