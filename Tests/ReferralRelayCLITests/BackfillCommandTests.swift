import Foundation
import Kafka
import ReferralSandbox
import Testing

/// `referral-relay backfill` as a real child process: `kill -9` in the middle and the same
/// command again completes the window with nothing missing at MMOLove; bad arguments exit 64
/// naming the flag.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct BackfillCommandTests {
    /// An RFC 3339 time a minute before now: every record the test produces is in the window.
    static var aMinuteAgo: String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date().addingTimeInterval(-60))
    }

    @Test func completesTheWindowAfterKill9AndTheSameCommandAgain() async throws {
        // Slow enough to be interrupted: 40 ms per answer, 4 in flight, 300 events (about 3 s).
        try await RelayHarness.run(faults: SandboxFaults(latencyMilliseconds: 40)) { harness in
            let accounts = TestAccount.referred("bf", count: 150)
            let events = Set(accounts.flatMap { [$0.registered, $0.qualified] })
            let from = Self.aMinuteAgo
            _ = try await harness.produce(accounts.map { RelayHarness.accountCreated($0.id, mmref: $0.mmref) })
            _ = try await harness.produce(
                accounts.map { RelayHarness.milestoneReached($0.id, milestone: "level_10", mmref: $0.mmref) })
            let arguments = [
                "backfill", "--from", from, "--name", "kill9", "--max-in-flight", "4", "--progress", "log",
            ]
            let reader = try await harness.outputReader()

            let first = try await harness.startCommand(arguments)
            let started = try await reader.read(timeout: .seconds(30)) { RelayRunTests.outcomeCount($0) >= 60 }
            try #require(started, "the first backfill published outcomes; log: \(first.logPath)")
            first.kill()
            await first.waitUntilGone()
            let beforeKill = RelayRunTests.outcomeCount(reader.messages)
            #expect(beforeKill < events.count, "killed mid-run, not after it (\(beforeKill) outcomes)")

            let second = try await harness.startCommand(arguments)
            let status = await second.waitForExit(timeout: .seconds(60))
            #expect(status == 0, "the second run finished; log: \(second.logTail())")
            // Every event's outcome (read back as it arrives; a loaded machine reads slowly).
            try await reader.read(timeout: .seconds(30)) { messages in
                let published = Set(
                    messages.filter { $0.topic == RelayHarness.outcomes }.compactMap { try? Outcome($0).serverEventID })
                return published.isSuperset(of: events)
            }
            let outputs = try RelayOutputs(reader.messages)
            await reader.close()

            #expect(Set(outputs.outcomes.map(\.serverEventID)) == events, "no outcome missing")
            #expect(outputs.outcomes.allSatisfy { $0.replay }, "every outcome of a backfill says replay: true")
            #expect(outputs.outcomes.allSatisfy { ["advanced", "duplicate"].contains($0.status) })
            #expect(Set(harness.acceptedAsNew.keys) == events, "nothing in the window missing at MMOLove")
            let summary = second.standardOutput.joined(separator: "\n")
            #expect(summary.contains("backfill kill9 finished"), "\(summary)")
            #expect(summary.contains("settled by an earlier run of kill9"), "the second run resumed: \(summary)")
            let registered = harness.deliveries.filter { $0.event == "registered" }.count
            #expect(registered < 2 * accounts.count, "the second run started over instead of resuming")
            #expect(second.log.contains("backfill progress") || second.log.contains("backfill window settled"))
            harness.expectSecretNeverPrinted()
        }
    }

    @Test func refusesABadWindowWithExit64NamingTheFlag() async throws {
        try await RelayHarness.run { harness in
            let bad = try await harness.startCommand(["backfill", "--from", "yesterday"])
            #expect(await bad.waitForExit(timeout: .seconds(20)) == 64)
            #expect(bad.log.contains("--from"), "\(bad.log)")
            let reversed = try await harness.startCommand(
                ["backfill", "--from", "2026-11-02T00:00:00Z", "--to", "2026-11-01T00:00:00Z"])
            #expect(await reversed.waitForExit(timeout: .seconds(20)) == 64)
            #expect(reversed.log.contains("--to must be after --from"), "\(reversed.log)")
        }
    }

    @Test func aMissingTopicFailsWithAReason() async throws {
        try await RelayHarness.run { harness in
            let run = try await harness.startCommand(
                ["backfill", "--from", Self.aMinuteAgo], ["RELAY_TOPIC_ACCOUNT_CREATED": "no-such-topic"])
            #expect(await run.waitForExit(timeout: .seconds(30)) == 1)
            #expect(run.log.contains("topic no-such-topic does not exist"), "\(run.log)")
        }
    }
}
