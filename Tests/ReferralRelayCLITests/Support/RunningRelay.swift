import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A `referral-relay run` child process, started with a given environment, whose stderr (JSON
/// logs) goes to a file and whose stdout is read line by line until the
/// `relay ops listening on <url>` announcement.
///
/// Nothing here blocks the cooperative pool: stdout is read on its own thread, the exit is
/// observed through `terminationHandler`.
final class RunningRelay: Sendable {
    /// Thrown when the child exits, or stays silent, before its announcement.
    struct NotStarted: Error, CustomStringConvertible {
        var status: Int32?
        var log: String
        var description: String {
            "referral-relay run printed no announcement (exit status \(status.map(String.init) ?? "none")); log:\n\(log)"
        }
    }

    /// The announcement's prefix on stdout.
    static let announcement = "relay ops listening on "

    /// The ops base URL, e.g. `http://127.0.0.1:40123`.
    let opsURL: String
    /// Where its stderr goes.
    let logPath: String
    /// Its process id.
    let pid: Int32
    private let exit: Locked<(status: Int32, signaled: Bool)?>
    private let stdout: Locked<[String]>
    /// Kept alive for as long as the child may run, so its termination handler fires.
    private let process: Mutex<Process>

    /// A value shared with the termination handler and the reader thread.
    private final class Locked<Value: Sendable>: Sendable {
        private let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
        func withLock<Result: Sendable>(_ body: (inout sending Value) -> sending Result) -> Result {
            self.value.withLock(body)
        }
    }

    /// Starts `referral-relay run` and waits for its announcement.
    ///
    /// - Parameters:
    ///   - environment: The child's whole environment.
    ///   - logPath: The file its stderr is written to (created or truncated).
    ///   - timeout: How long to wait for the announcement.
    /// - Throws: ``NotStarted`` when it exits or announces nothing in time.
    ///   - arguments: The command line (default `run`).
    ///   - announced: Whether to wait for the ops announcement (`run` prints it; `backfill` does not).
    init(
        environment: [String: String],
        logPath: String,
        arguments: [String] = ["run"],
        announced: Bool = true,
        timeout: Duration = .seconds(20)
    ) async throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = try Executable.url()
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let exit = Locked<(status: Int32, signaled: Bool)?>(nil)
        process.terminationHandler = { process in
            exit.withLock {
                $0 = (process.terminationStatus, process.terminationReason == .uncaughtSignal)
            }
        }
        let (lines, sink) = AsyncStream.makeStream(of: String.self)
        try process.run()
        try? log.close()
        self.pid = process.processIdentifier
        self.process = Mutex(process)
        self.logPath = logPath
        self.exit = exit
        let stdout = Locked<[String]>([])
        self.stdout = stdout
        // A plain thread owns the blocking reads of the pipe until EOF (the child's exit).
        let reader = output.fileHandleForReading
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    stdout.withLock { $0.append(line) }
                    sink.yield(line)
                }
            }
            sink.finish()
        }
        guard announced else {
            self.opsURL = ""
            return
        }
        let announcement: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await line in lines where line.hasPrefix(Self.announcement) {
                    return String(line.dropFirst(Self.announcement.count))
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let announcement else {
            if exit.withLock({ $0 }) == nil { Glibc.kill(self.pid, SIGKILL) }
            _ = await Self.waitForExit(exit, timeout: .seconds(5))
            throw NotStarted(
                status: exit.withLock { $0?.status },
                log: (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            )
        }
        self.opsURL = announcement
    }

    /// Waits up to `timeout` for the child to exit by itself.
    ///
    /// - Returns: The exit status (minus the signal number when a signal ended it), `nil` if it
    ///   still runs.
    func waitForExit(timeout: Duration) async -> Int32? {
        guard let status = await Self.waitForExit(self.exit, timeout: timeout) else { return nil }
        return status.signaled ? -status.status : status.status
    }

    /// Whether the child still runs.
    var isRunning: Bool { self.exit.withLock { $0 == nil } }

    /// Sends SIGTERM and waits up to `timeout` for the exit.
    ///
    /// - Returns: The exit status (minus the signal number when a signal ended it), or `nil` if it
    ///   still runs after `timeout` (it is then killed).
    func terminate(timeout: Duration = .seconds(30)) async -> Int32? {
        Glibc.kill(self.pid, SIGTERM)
        guard let status = await Self.waitForExit(self.exit, timeout: timeout) else {
            self.kill()
            return nil
        }
        return status.signaled ? -status.status : status.status
    }

    /// Sends SIGKILL (`kill -9`) and waits for the exit.
    func kill() {
        Glibc.kill(self.pid, SIGKILL)
    }

    /// Waits until the child is gone after ``kill()``.
    func waitUntilGone(timeout: Duration = .seconds(10)) async {
        _ = await Self.waitForExit(self.exit, timeout: timeout)
    }

    /// Its stdout lines so far.
    var standardOutput: [String] { self.stdout.withLock { $0 } }

    /// Its stderr so far.
    var log: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

    /// The last `lines` lines of its stderr, for failure messages.
    func logTail(_ lines: Int = 40) -> String {
        self.log.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private static func waitForExit(
        _ exit: Locked<(status: Int32, signaled: Bool)?>, timeout: Duration
    ) async -> (status: Int32, signaled: Bool)? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exit.withLock({ $0 }) { return status }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return exit.withLock { $0 }
    }

    deinit {
        // A test that failed half-way must not leave a relay running.
        if self.exit.withLock({ $0 == nil }) { Glibc.kill(self.pid, SIGKILL) }
    }
}
