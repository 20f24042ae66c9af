import Foundation
import Kafka
import ReferralSandbox
import Testing

/// `referral-relay backfill` as a real child process: `kill -9` in the middle and the same
/// command again completes the window with nothing missing at MMOLove; a dry run prints what
/// the real run then does, and does none of it; bad arguments exit 64 naming the flag.
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

    /// `--dry-run` over a window, then the same window for real: the dry run prints the counts
    /// by event and the first events, sends nothing and publishes nothing (and commits nothing:
    /// the real run under the same name then does everything); the real run's summary has a row
    /// per event and status with the counts it did. Milestones without `mmref` are counted
    /// apart by the dry run (needing the referee store): the real run sends those whose account
    /// the store knows and skips the others.
    @Test func aDryRunPrintsWhatARealRunThenDoes() async throws {
        try await RelayHarness.run { harness in
            let referred = TestAccount.referred("dry", count: 10)
            let tokenless = TestAccount.referred("tokenless", count: 5)
            let notReferred = TestAccount.referred("nobody", count: 3).map { TestAccount(id: $0.id, mmref: .absent) }
            let from = Self.aMinuteAgo
            _ = try await harness.produce(
                (referred + tokenless + notReferred).map { RelayHarness.accountCreated($0.id, mmref: $0.mmref) })
            _ = try await harness.produce(
                referred.map { RelayHarness.milestoneReached($0.id, milestone: "level_10", mmref: $0.mmref) }
                    + (tokenless + notReferred).map {
                        RelayHarness.milestoneReached($0.id, milestone: "level_10", mmref: .absent)
                    })
            let to = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
            let window = ["backfill", "--from", from, "--to", to, "--name", "cli", "--progress", "none"]
            let store = ["RELAY_REFEREE_STORE_DIR": harness.directory + "/referees"]
            let reader = try await harness.outputReader()

            let dry = try await harness.startCommand(window + ["--dry-run"], store)
            #expect(await dry.waitForExit(timeout: .seconds(60)) == 0, "log: \(dry.logTail())")
            let printed = Self.collapsed(dry.standardOutput)
            for line in [
                "backfill cli (dry run): nothing was sent, published or committed", "records read: 36",
                "would send registered 15", "would send qualified 10",
                "needs the referee store (qualified, no mmref) 8", "would skip (not_referred) 3",
                "would dead-letter (malformed) 0", "first events that would be sent:",
            ] {
                #expect(printed.contains(line), "\(line) in \(dry.standardOutput.joined(separator: "\n"))")
            }
            let examples = printed.drop(while: { $0 != "first events that would be sent:" }).dropFirst()
                .prefix { $0.hasPrefix("registered ") || $0.hasPrefix("qualified ") }
            #expect(examples.count == 5, "\(printed)")
            let tokens = Set((referred + tokenless).compactMap(\.mmref.token))
            #expect(examples.allSatisfy { line in tokens.contains { line.contains(" mmref=\($0) ") } }, "\(examples)")
            #expect(harness.deliveries.isEmpty, "a dry run sent a request")
            let published = try await reader.read(timeout: .seconds(3)) { !$0.isEmpty }
            #expect(!published, "a dry run published: \(reader.messages.map(\.topic))")

            let real = try await harness.startCommand(window, store)
            #expect(await real.waitForExit(timeout: .seconds(60)) == 0, "log: \(real.logTail())")
            let summary = Self.collapsed(real.standardOutput)
            let rows = summary.filter { $0.hasPrefix("registered ") || $0.hasPrefix("qualified ") }
            #expect(rows == ["qualified advanced 15", "registered advanced 15"], "\(summary)")
            #expect(summary.contains("skipped (not_referred): 6"), "\(summary)")
            #expect(summary.contains("dead-lettered as malformed: 0"), "\(summary)")
            let outputs = try RelayOutputs(try await reader.readAll(expecting: 30, timeout: .seconds(30)))
            await reader.close()
            let accounts = referred + tokenless
            #expect(
                Set(outputs.outcomes.map(\.serverEventID)) == Set(accounts.flatMap { [$0.registered, $0.qualified] }))
            #expect(outputs.outcomes.allSatisfy { $0.replay && $0.status == "advanced" })
            #expect(outputs.deadLetters.isEmpty)
            harness.expectSecretNeverPrinted()
        }
    }

    /// Stdout lines trimmed, runs of spaces made one (the tables pad their columns).
    static func collapsed(_ lines: [String]) -> [String] {
        lines.map { $0.split(separator: " ").joined(separator: " ") }
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
