import Foundation
import ReferralKit
import ReferralSandbox
import Testing

@Suite("SandboxConfiguration")
struct SandboxConfigurationTests {
    private func withDirectory<Result>(_ body: (URL) throws -> Result) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sbx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    @Test func loadsServersSecretsTokensAndFaultsFromAFile() throws {
        try self.withDirectory { directory in
            try Data("file-secret\n".utf8).write(to: directory.appendingPathComponent("s1"))
            let json = #"""
                {"port": 0, "seed": 7, "replay_window": 60,
                 "servers": [{"id": "srv_1", "secret_file": "s1", "kid": "k1"},
                             {"id": "srv_2", "secrets": [{"secret": "a", "kid": "k1"}, {"secret": "b", "kid": "k2"}]},
                             {"id": "srv_off", "secret": "x", "referrals_enabled": false}],
                 "unknown_tokens": ["mmr_gone"], "expired_tokens": ["mmr_old"],
                 "faults": {"fail_rate": 0.25, "latency_ms": 5, "throttle_first": 2, "retry_after": "1"}}
                """#
            let path = directory.appendingPathComponent("sandbox.json")
            try Data(json.utf8).write(to: path)
            let configuration = try SandboxConfiguration.load(path: path.path)
            #expect(configuration.port == 0)
            #expect(configuration.seed == 7)
            #expect(configuration.replayWindow == 60)
            #expect(configuration.servers.map(\.id) == ["srv_1", "srv_2", "srv_off"])
            #expect(configuration.servers[0].secrets == [ReferralSecret("file-secret", keyID: "k1")])
            #expect(configuration.servers[1].secrets.map(\.keyID) == ["k1", "k2"])
            #expect(configuration.servers[2].referralsEnabled == false)
            #expect(configuration.unknownTokens == ["mmr_gone"])
            #expect(configuration.expiredTokens == ["mmr_old"])
            #expect(
                configuration.faults
                    == SandboxFaults(failRate: 0.25, latencyMilliseconds: 5, throttleFirst: 2, retryAfter: "1"))
        }
    }

    @Test(arguments: [
        (#"{"servers":[{"id":"a"},{"id":"a"}]}"#, "repeated"),
        (#"{"servers":[{"id":"a","secret":"x","secret_file":"y"}]}"#, "exactly one"),
        (#"{"servers":[],"faults":{"drop_rate":-1}}"#, "drop_rate"),
        (#"{"port":70000,"servers":[]}"#, "port"),
        (#"{"servers":[{"id":"a","secret_file":"missing"}]}"#, "cannot read"),
    ])
    func rejectsInvalidFilesNamingTheKey(_ json: String, _ fragment: String) throws {
        try self.withDirectory { directory in
            let path = directory.appendingPathComponent("bad.json")
            try Data(json.utf8).write(to: path)
            #expect {
                try SandboxConfiguration.load(path: path.path)
            } throws: { error in
                (error as? SandboxError)?.reason.contains(fragment) == true
            }
        }
    }
}
