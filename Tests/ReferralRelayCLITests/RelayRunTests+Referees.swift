import Foundation
import Kafka
import ReferralSandbox
import Testing

extension RelayRunTests {
    /// The referee store across processes: a relay registers the accounts and is killed
    /// (`kill -9`) after committing; a new pod (an empty local copy) gets milestones without
    /// `mmref` and finds every token in the store's topic, since it starts from the committed
    /// offsets and never reads those `account-created` records again. `referees lookup` shows
    /// what the store knows.
    @Test func aNewPodAfterKill9FindsTheTokensInTheStoresTopic() async throws {
        try await RelayHarness.run { harness in
            let store = ["RELAY_REFEREE_STORE": "true"]
            let first = try await harness.startReadyRelay(store)
            let accounts = TestAccount.referred("store", count: 20)
            try await harness.produce(accounts.map { RelayHarness.accountCreated($0.id, mmref: $0.mmref) })
            let reader = try await harness.outputReader()
            let registered = try await reader.read(timeout: .seconds(30)) { RelayRunTests.outcomeCount($0) >= 20 }
            try #require(registered, "the first relay registered the accounts; log: \(first.logPath)")
            let behind = try await harness.waitForCommitsAtEnd()
            try #require(behind.isEmpty, "committed before the kill: \(behind)")
            first.kill()
            await first.waitUntilGone()

            let second = try await harness.startReadyRelay(store)
            try await harness.produce(
                accounts.map { RelayHarness.milestoneReached($0.id, milestone: "level_10", mmref: .absent) })
            let qualified = try await reader.read(timeout: .seconds(45)) { RelayRunTests.outcomeCount($0) >= 40 }
            let outputs = try RelayOutputs(reader.messages)
            await reader.close()
            #expect(qualified, "every milestone was qualified; log: \(second.logPath)")
            let qualifiedOutcomes = outputs.outcomes.filter { $0.event == "qualified" }
            #expect(Set(qualifiedOutcomes.map(\.accountID)) == Set(accounts.map(\.id)))
            #expect(qualifiedOutcomes.allSatisfy { $0.status == "advanced" && $0.reward })
            // Each went out with its account's token, which only the store's topic could give:
            // the second relay read no account-created record.
            for account in accounts {
                let sent = harness.deliveries.filter { $0.serverEventID == account.qualified }
                #expect(sent.map(\.token) == [account.mmref.token], "\(account.id)")
            }
            #expect(harness.deliveries.filter { $0.event == "registered" }.count == 20, "no registered sent again")

            // The store as an operator sees it, from yet another empty copy.
            let lookup = try await Executable.run(
                ["referees", "lookup", accounts[0].id],
                environment: harness.environment([
                    "RELAY_REFEREE_STORE_DIR": "\(harness.directory)/referees-lookup", "RELAY_REFEREE_STORE": "true",
                ]))
            #expect(lookup.status == 0, "\(lookup.stderr)")
            #expect(lookup.stdout.contains("\"registration\":\"advanced\""), "\(lookup.stdout)")
            #expect(lookup.stdout.contains("\"account_id\":\"\(accounts[0].id)\""), "\(lookup.stdout)")
            let unknown = try await Executable.run(
                ["referees", "lookup", "nobody"],
                environment: harness.environment([
                    "RELAY_REFEREE_STORE_DIR": "\(harness.directory)/referees-lookup", "RELAY_REFEREE_STORE": "true",
                ]))
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("nobody is not known"))

            #expect(await second.terminate() == 0, "log: \(second.logPath)")
            harness.expectSecretNeverPrinted()
        }
    }
}
