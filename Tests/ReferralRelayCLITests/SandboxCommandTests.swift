import Foundation
import Testing

@Suite("referral-relay sandbox process", .serialized)
struct SandboxCommandTests {
    @Test func refusesToStartWithoutAServer() async throws {
        let result = try await Executable.run(["sandbox", "--port", "0"], environment: [:])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--server-id"))
    }

    @Test func printsItsAddressAndStopsOnSIGTERM() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("sandbox.json")
        try Data(#"{"port":0,"servers":[{"id":"srv_1","secret":"a"},{"id":"srv_2","secret":"b","kid":"k2"}]}"#.utf8)
            .write(to: config)
        let sandbox = try await RunningSandbox(arguments: ["--config", config.path])
        defer { sandbox.terminate() }
        #expect(sandbox.baseURL.hasPrefix("http://127.0.0.1:"))
        let result = try await Executable.run(
            ["send", "qualified", "--token", "T", "--server-event-id", "E", "--test"],
            environment: [
                "MMOLOVE_ENDPOINT": sandbox.baseURL + "/api/referral/events", "MMOLOVE_SERVER_ID": "srv_2",
                "MMOLOVE_REFERRAL_SECRET": "b", "MMOLOVE_KEY_ID": "k2",
            ]
        )
        #expect(result.stdout == "200\n{\"ok\":true,\"test\":true}\n")
        await sandbox.stop()
        #expect(sandbox.process.terminationReason == .exit, "graceful shutdown on SIGTERM, not killed by the signal")
    }

    @Test func neverLogsTheSecretEvenAtTraceLevel() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secretValue = "whsec_never_printed_7c1d"
        let secretFile = directory.appendingPathComponent("secret")
        try Data(secretValue.utf8).write(to: secretFile)
        let logFile = directory.appendingPathComponent("stderr.log")
        #expect(FileManager.default.createFile(atPath: logFile.path, contents: nil))
        let log = try FileHandle(forWritingTo: logFile)
        defer { try? log.close() }
        let sandbox = try await RunningSandbox(
            arguments: [
                "--port", "0", "--server-id", "srv_1", "--secret-file", secretFile.path, "--key-id", "k1",
                "--log-level", "trace",
            ],
            standardError: log
        )
        defer { sandbox.terminate() }
        let environment = [
            "MMOLOVE_ENDPOINT": sandbox.baseURL + "/api/referral/events", "MMOLOVE_SERVER_ID": "srv_1",
            "MMOLOVE_REFERRAL_SECRET_FILE": secretFile.path, "MMOLOVE_KEY_ID": "k1",
        ]
        let sent = try await Executable.run(
            ["send", "registered", "--token", "T", "--referee-identity", "R", "--server-event-id", "reg-1"],
            environment: environment)
        #expect(sent.status == 0)
        let refused = try await Executable.run(
            ["send", "qualified", "--token", "T", "--server-event-id", "qual-1"],
            environment: environment.merging(["MMOLOVE_KEY_ID": "k9"]) { _, new in new })
        #expect(refused.stdout == "401\n{\"error\":\"bad_signature\"}\n", "a wrong key id is a bad signature")
        await sandbox.stop()
        let logs = try String(contentsOf: logFile, encoding: .utf8)
        #expect(!logs.isEmpty, "trace level writes logs")
        for output in [logs, sent.stdout, sent.stderr, refused.stdout, refused.stderr] {
            #expect(!output.contains(secretValue))
        }
    }

    @Test func faultFlagsThrottleTheFirstRequestWithRetryAfter() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secretFile = directory.appendingPathComponent("secret")
        try Data("s3cret".utf8).write(to: secretFile)
        let sandbox = try await RunningSandbox(arguments: [
            "--port", "0", "--server-id", "srv_1", "--secret-file", secretFile.path,
            "--throttle-first", "1", "--throttle-status", "503", "--retry-after", "5",
        ])
        defer { sandbox.terminate() }
        let environment = [
            "MMOLOVE_ENDPOINT": sandbox.baseURL + "/api/referral/events", "MMOLOVE_SERVER_ID": "srv_1",
            "MMOLOVE_REFERRAL_SECRET_FILE": secretFile.path,
        ]
        let arguments = ["send", "qualified", "--token", "T", "--server-event-id", "E", "--test"]
        let throttled = try await Executable.run(arguments, environment: environment)
        #expect(throttled.stdout.hasPrefix("503\n"))
        #expect(throttled.status != 0)
        let next = try await Executable.run(arguments, environment: environment)
        #expect(next.stdout == "200\n{\"ok\":true,\"test\":true}\n")
        #expect(next.status == 0)
    }
}
