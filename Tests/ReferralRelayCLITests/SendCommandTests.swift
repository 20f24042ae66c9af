import Foundation
import Testing

/// Whole-process tests: `referral-relay send` against `referral-relay sandbox`, both the built
/// executable, over loopback.
@Suite("referral-relay send against referral-relay sandbox", .serialized)
struct SendCommandTests {
    private static let secretValue = "whsec_cli_test_9b2e"

    private func withSandbox(_ body: (_ endpoint: String, _ secretFile: String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secretFile = directory.appendingPathComponent("secret").path
        try Data("\(Self.secretValue)\n".utf8).write(to: URL(fileURLWithPath: secretFile))
        let sandbox = try await RunningSandbox(arguments: [
            "--port", "0", "--server-id", "srv_1", "--secret-file", secretFile,
        ])
        defer { sandbox.terminate() }
        #expect(sandbox.baseURL.hasPrefix("http://127.0.0.1:"))
        try await body(sandbox.baseURL + "/api/referral/events", secretFile)
    }

    @Test func testEventPrints200AndExitsZero() async throws {
        try await self.withSandbox { endpoint, secretFile in
            let result = try await Executable.run(
                ["send", "registered", "--token", "T", "--referee-identity", "R", "--server-event-id", "E", "--test"],
                environment: [
                    "MMOLOVE_ENDPOINT": endpoint, "MMOLOVE_SERVER_ID": "srv_1",
                    "MMOLOVE_REFERRAL_SECRET_FILE": secretFile,
                ]
            )
            #expect(result.stdout == "200\n{\"ok\":true,\"test\":true}\n")
            #expect(result.status == 0)
        }
    }

    @Test func wrongSecretPrints401AndExitsNonZeroWithoutEchoingTheSecret() async throws {
        try await self.withSandbox { endpoint, _ in
            let result = try await Executable.run(
                ["send", "registered", "--token", "T", "--referee-identity", "R", "--server-event-id", "E", "--test"],
                environment: [
                    "MMOLOVE_ENDPOINT": endpoint, "MMOLOVE_SERVER_ID": "srv_1",
                    "MMOLOVE_REFERRAL_SECRET": "wrong-secret-value",
                ]
            )
            #expect(result.stdout == "401\n{\"error\":\"bad_signature\"}\n")
            #expect(result.status != 0)
            #expect(!(result.stdout + result.stderr).contains("wrong-secret-value"))
        }
    }

    @Test func realEventsAdvanceAndA422ExitsNonZero() async throws {
        try await self.withSandbox { endpoint, secretFile in
            let environment = [
                "MMOLOVE_ENDPOINT": endpoint, "MMOLOVE_SERVER_ID": "srv_1", "MMOLOVE_REFERRAL_SECRET_FILE": secretFile,
            ]
            let early = try await Executable.run(
                ["send", "qualified", "--token", "T", "--server-event-id", "qual-1"], environment: environment)
            #expect(early.stdout == "422\n{\"error\":\"invalid transition\"}\n")
            #expect(early.status != 0)
            let registered = try await Executable.run(
                ["send", "registered", "--token", "T", "--referee-identity", "R", "--server-event-id", "reg-1"],
                environment: environment)
            #expect(registered.stdout.hasPrefix("200\n{\"ok\":true,\"referral_id\":"))
            #expect(registered.status == 0)
            let qualified = try await Executable.run(
                ["send", "qualified", "--token", "T", "--server-event-id", "qual-1"], environment: environment)
            #expect(qualified.stdout.contains("\"state\":\"qualified\""))
            #expect(qualified.status == 0)
        }
    }

    @Test func missingEnvironmentIsNamedAndNothingIsSent() async throws {
        let noServer = try await Executable.run(
            ["send", "qualified", "--token", "T", "--server-event-id", "E"],
            environment: ["MMOLOVE_REFERRAL_SECRET": "s", "MMOLOVE_ENDPOINT": "http://127.0.0.1:1/"]
        )
        #expect(noServer.status != 0)
        #expect(noServer.stderr.contains("MMOLOVE_SERVER_ID"))
        let noSecret = try await Executable.run(
            ["send", "qualified", "--token", "T", "--server-event-id", "E"],
            environment: ["MMOLOVE_SERVER_ID": "srv_1", "MMOLOVE_ENDPOINT": "http://127.0.0.1:1/"]
        )
        #expect(noSecret.status != 0)
        #expect(noSecret.stderr.contains("MMOLOVE_REFERRAL_SECRET"))
    }

    @Test(arguments: ["0", "-5"])
    func aNonPositiveTimeoutIsAUsageErrorNotATransportFailure(_ timeout: String) async throws {
        let result = try await Executable.run(
            ["send", "qualified", "--token", "T", "--server-event-id", "E", "--timeout", timeout],
            environment: [
                "MMOLOVE_SERVER_ID": "srv_1", "MMOLOVE_REFERRAL_SECRET": "s",
                "MMOLOVE_ENDPOINT": "http://127.0.0.1:1/x",
            ]
        )
        #expect(result.stdout.isEmpty, "nothing was sent, so no status is printed")
        #expect(result.stderr.contains("--timeout"))
        #expect(result.status != 0)
    }

    @Test func transportFailurePrintsStatusZeroAndExitsNonZero() async throws {
        let result = try await Executable.run(
            ["send", "qualified", "--token", "T", "--server-event-id", "E", "--timeout", "1"],
            environment: [
                "MMOLOVE_SERVER_ID": "srv_1", "MMOLOVE_REFERRAL_SECRET": "s",
                "MMOLOVE_ENDPOINT": "http://127.0.0.1:1/x",
            ]
        )
        #expect(result.stdout == "0\n")
        #expect(result.status != 0)
    }
}
