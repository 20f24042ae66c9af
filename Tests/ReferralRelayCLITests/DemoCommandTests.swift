import Foundation
import Testing

/// `referral-relay demo` as a newcomer runs it: the whole relay end to end in one process, and
/// an exit status that tells the truth.
@Suite(.timeLimit(.minutes(3))) struct DemoCommandTests {
    private func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("demo-test-\(UUID().uuidString)-\(name)").path
    }

    @Test func deliversEveryReferralEventAndExitsZero() async throws {
        let outcomesFile = self.temporaryPath("outcomes.jsonl")
        let logFile = self.temporaryPath("relay.log")
        defer {
            try? FileManager.default.removeItem(atPath: outcomesFile)
            try? FileManager.default.removeItem(atPath: logFile)
        }
        let result = try await Executable.run(
            ["demo", "--accounts", "12", "--outcomes-file", outcomesFile, "--log-file", logFile],
            environment: [:]
        )
        #expect(result.status == 0, "stdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
        for line in [
            "registered   advanced                     8     8  ✓",
            "registered   first_touch_conflict         1     1  ✓",
            "registered   rejected                     1     1  ✓",
            "qualified    advanced                     6     6  ✓",
            "qualified    registration_failed          1     1  ✓",
            "dead letter  decode                       1     1  ✓",
            "dead letter  deliver                      1     1  ✓",
            "✓ every outcome is the expected one: 17 outcomes",
            "✓ committed offsets reached the end of all 6 input partitions",
            "✓ the relay shut down gracefully",
            "demo: every outcome is what it should be",
        ] {
            #expect(result.stdout.contains(line), "missing '\(line)' in:\n\(result.stdout)")
        }
        #expect(!result.stdout.contains("✗"))

        // What the reward service would read: one outcome per referral event, rewards exactly on
        // the six accepted qualifications.
        let lines = try String(contentsOfFile: outcomesFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 17)
        let objects = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.allSatisfy { $0["schema"] as? String == "referral-outcome/v1" })
        #expect(objects.filter { $0["reward"] as? Bool == true }.count == 6)
        #expect(Set(objects.compactMap { $0["server_event_id"] as? String }).count == 17)
        // The log holds the relay's lines, never the secret (it is random and never printed).
        let log = try String(contentsOfFile: logFile, encoding: .utf8)
        #expect(!log.isEmpty)
        #expect(!log.contains("whsec_"))
    }

    @Test func failsAndNamesWhatIsMissingWhenMMOLoveNeverAnswers() async throws {
        let logFile = self.temporaryPath("relay.log")
        defer { try? FileManager.default.removeItem(atPath: logFile) }
        let result = try await Executable.run(
            [
                "demo", "--accounts", "8", "--fail-rate", "1", "--drop-rate", "0", "--timeout", "5", "--log-file",
                logFile,
            ],
            environment: [:]
        )
        #expect(result.status != 0)
        #expect(result.stdout.contains("✗ every expected record arrived in time"), "\(result.stdout)")
        #expect(result.stdout.contains("timed out after 5.0s with 0/"), "\(result.stdout)")
        #expect(result.stdout.contains("missing outcome reg-acct-000103 (expected advanced)"), "\(result.stdout)")
        #expect(result.stdout.contains("demo: FAILED"))
    }

    @Test func refusesTooFewAccounts() async throws {
        let result = try await Executable.run(["demo", "--accounts", "3"], environment: [:])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--accounts"))
    }
}
