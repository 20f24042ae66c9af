import Foundation
import Kafka
import ReferralSandbox
import Testing

/// Several `referral-relay run` processes in one consumer group, as Kubernetes runs them: one is
/// sent SIGTERM while another joins, so the group rebalances while a member drains.
///
/// Serialized and alone in its suite: four relays, a broker and a sandbox already fill two cores.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RelayGroupProcessTests {
    /// A sandbox answering after 20 ms and at most 16 events in flight per member: 1,200 events
    /// take three members several seconds, long enough to rebalance in the middle.
    private static let faults = SandboxFaults(latencyMilliseconds: 20)
    private static let maxInFlight = 16
    private static let drainSeconds = 10
    private static var environment: [String: String] {
        [
            "RELAY_MAX_IN_FLIGHT": "\(Self.maxInFlight)",
            "RELAY_DRAIN_TIMEOUT_SECONDS": "\(Self.drainSeconds)",
            "RELAY_COMMIT_INTERVAL_MS": "500",
        ]
    }

    /// Three members share a backlog; one gets SIGTERM while a fourth joins. The stopped member
    /// exits 0 within its drain timeout plus the documented shutdown bound, nothing is lost, and
    /// the events sent twice are bounded by what was in flight when partitions moved, not by
    /// what the members had settled.
    @Test func aMemberStoppedWhileAnotherJoinsRedoesOnlyWhatWasInFlight() async throws {
        try await RelayHarness.run(faults: Self.faults) { harness in
            var members: [RunningRelay] = []
            for _ in 0..<3 { members.append(try await harness.startReadyRelay(Self.environment)) }
            // Every member has its partitions before the backlog lands, so the first rebalance
            // is the one under test.
            try await Task.sleep(for: .seconds(4))
            let accounts = TestAccount.referred("group", count: 600)
            try await harness.produce(accounts.map { RelayHarness.accountCreated($0.id, mmref: $0.mmref) })
            try await harness.produce(
                accounts.map { RelayHarness.milestoneReached($0.id, milestone: "level_10", mmref: $0.mmref) })
            let events = Set(accounts.flatMap { [$0.registered, $0.qualified] })
            let reader = try await harness.outputReader()

            let started = try await reader.read(timeout: .seconds(60)) {
                RelayRunTests.outcomeCount($0) >= 300
            }
            try #require(started, "the members published outcomes; log: \(members[0].logPath)")
            // The fourth joins first; a second later, while the group is still joining (the
            // embedded coordinator waits 3 s for every member), the first is told to stop.
            let joiner = try await harness.startRelay(Self.environment)
            try await Task.sleep(for: .seconds(1))
            let signalled = ContinuousClock.now
            let status = await members[0].terminate(timeout: .seconds(90))
            let shutdown = ContinuousClock.now - signalled
            #expect(status == 0, "SIGTERM exits 0; log: \(members[0].logPath)")
            // The documented bound (README, "Shutdown"): the drain timeout, the revocation
            // drain that may overlap it, the final commit's window and closing the clients.
            let bound = Duration.seconds(Self.drainSeconds + 15)
            #expect(shutdown < bound, "exited within \(bound) (took \(shutdown)); log: \(members[0].logPath)")

            let completed = try await reader.read(timeout: .seconds(90)) {
                Set($0.filter { $0.topic == RelayHarness.outcomes }.compactMap { try? Outcome($0).serverEventID })
                    .isSuperset(of: events)
            }
            try await reader.read(timeout: .milliseconds(1500)) { _ in false }
            let outputs = try RelayOutputs(reader.messages)
            await reader.close()
            #expect(completed, "the group completed the run; log: \(joiner.logPath)")
            #expect(Set(outputs.outcomes.map(\.serverEventID)) == events, "no outcome missing")
            #expect(outputs.deadLetters.isEmpty, "nothing dead-lettered")
            for outcome in outputs.outcomes {
                #expect(["advanced", "duplicate"].contains(outcome.status), "\(outcome.serverEventID)")
            }
            let accepted = harness.acceptedAsNew
            #expect(Set(accepted.keys) == events, "no event missing at MMOLove")

            // Sent again: what MMOLove answered `duplicate`. A rebalance may redo what was in
            // flight on the partitions that moved (at most each member's window); it must not
            // redo what had settled.
            let resent = harness.deliveries.filter { $0.verdict == .duplicate }.count
            let repeated = outputs.byServerEventID.filter { $0.value.count > 1 }.count
            let inFlightBound = 4 * Self.maxInFlight
            print(
                "group of 3, SIGTERM to one while a 4th joins: shutdown took \(shutdown), \(resent) events sent"
                    + " again (bound \(inFlightBound)), \(repeated) second outcomes, \(outputs.outcomes.count) outcomes"
                    + " for \(events.count) events"
            )
            #expect(resent <= inFlightBound, "\(resent) events sent again")

            let behind = try await harness.waitForCommitsAtEnd(timeout: .seconds(30))
            #expect(behind.isEmpty, "committed to the end; behind: \(behind)")
            for member in members.dropFirst() + [joiner] {
                #expect(await member.terminate() == 0, "log: \(member.logPath)")
            }
            harness.expectSecretNeverPrinted()
        }
    }
}
