import Foundation
import Testing

@Suite("referral-relay sandbox process", .serialized)
struct SandboxCommandTests {
    @Test func refusesToStartWithoutAServer() throws {
        let result = try Executable.run(["sandbox", "--port", "0"], environment: [:])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--server-id"))
    }

    @Test func printsItsAddressAndStopsOnSIGTERM() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("sandbox.json")
        try Data(#"{"port":0,"servers":[{"id":"srv_1","secret":"a"},{"id":"srv_2","secret":"b","kid":"k2"}]}"#.utf8)
            .write(to: config)
        let sandbox = try RunningSandbox(arguments: ["--config", config.path])
        defer { sandbox.stop() }
        #expect(sandbox.baseURL.hasPrefix("http://127.0.0.1:"))
        let result = try Executable.run(
            ["send", "qualified", "--token", "T", "--server-event-id", "E", "--test"],
            environment: [
                "MMOLOVE_ENDPOINT": sandbox.baseURL + "/api/referral/events", "MMOLOVE_SERVER_ID": "srv_2",
                "MMOLOVE_REFERRAL_SECRET": "b", "MMOLOVE_KEY_ID": "k2",
            ]
        )
        #expect(result.stdout == "200\n{\"ok\":true,\"test\":true}\n")
        sandbox.process.terminate()
        sandbox.process.waitUntilExit()
        #expect(sandbox.process.terminationReason == .exit, "graceful shutdown on SIGTERM, not killed by the signal")
    }
}
