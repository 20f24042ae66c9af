import Foundation
import Kafka
import ReferralSandbox
import Testing

extension RelayRunTests {
    /// An unreliable MMOLove (30 % answered 500, 10 % of connections dropped): everything is still
    /// delivered, one outcome per event, and MMOLove never took an event as new twice.
    @Test func deliversEverythingOnceThroughFailuresAndDroppedConnections() async throws {
        let faults = SandboxFaults(failRate: 0.3, dropRate: 0.1)
        try await RelayHarness.run(faults: faults) { harness in
            let relay = try await harness.startReadyRelay()
            let accounts = TestAccount.referred("faults", count: 25)
            try await harness.produce(
                accounts.flatMap { account in
                    [
                        RelayHarness.accountCreated(account.id, mmref: account.mmref),
                        RelayHarness.milestoneReached(account.id, milestone: "first_purchase", mmref: account.mmref),
                    ]
                })
            let events = Set(accounts.flatMap { [$0.registered, $0.qualified] })

            let reader = try await harness.outputReader()
            let outputs = try RelayOutputs(await reader.readAll(expecting: events.count, timeout: .seconds(25)))
            await reader.close()

            #expect(outputs.outcomes.count == events.count, "one outcome per event; log: \(relay.logPath)")
            #expect(Set(outputs.outcomes.map(\.serverEventID)) == events)
            for outcome in outputs.outcomes {
                #expect(["advanced", "duplicate"].contains(outcome.status), "\(outcome.serverEventID)")
                #expect(outcome.reward == (outcome.event == "qualified"), "\(outcome.serverEventID)")
            }
            #expect(outputs.deadLetters.isEmpty, "nothing dead-lettered")
            #expect(outputs.outcomes.contains { $0.attempts > 1 }, "some events needed retries")

            let accepted = harness.acceptedAsNew
            #expect(Set(accepted.keys) == events, "every event accepted at MMOLove")
            #expect(accepted.filter { $0.value > 1 }.isEmpty, "no event accepted as new twice: \(accepted)")
            let verdicts = harness.store.stats.byVerdict
            #expect(verdicts[SandboxVerdict.faultFailure.rawValue, default: 0] > 0, "failures were injected")
            #expect(verdicts[SandboxVerdict.faultDrop.rawValue, default: 0] > 0, "connections were dropped")
            #expect(harness.deliveries.filter { $0.status == 400 || $0.status == 401 }.isEmpty)

            let behind = try await harness.waitForCommitsAtEnd()
            #expect(behind.isEmpty, "committed to the end; behind: \(behind)")
            #expect(await relay.terminate() == 0)
            harness.expectSecretNeverPrinted()
        }
    }

    /// The two topics are not ordered with each other: a milestone that arrives before its
    /// account-created record is answered 422 at first, waits, and still ends `advanced`.
    @Test func qualifiesAMilestoneThatArrivedBeforeItsAccount() async throws {
        try await RelayHarness.run { harness in
            // MMOLove's own ordering answer (422) and the relay's wait for it: without the referee
            // store, which would hold these milestones back until their accounts arrive.
            let relay = try await harness.startReadyRelay([
                "RELAY_QUALIFIED_WAIT_SECONDS": "30", "RELAY_REFEREE_STORE": "false",
            ])
            let accounts = TestAccount.referred("early", count: 3)
            try await harness.produce(
                accounts.map { RelayHarness.milestoneReached($0.id, milestone: "level_10", mmref: $0.mmref) })

            // The relay tried each qualified and MMOLove refused it: registered had not arrived.
            let refused = try await eventually(timeout: .seconds(15)) {
                let early = Set(
                    harness.deliveries.filter { $0.verdict == .invalidTransition }.compactMap(\.serverEventID))
                return early.isSuperset(of: accounts.map(\.qualified))
            }
            #expect(refused, "each qualified was answered 422 first; log: \(relay.logPath)")
            try await Task.sleep(for: .seconds(1))
            try await harness.produce(accounts.map { RelayHarness.accountCreated($0.id, mmref: $0.mmref) })

            let reader = try await harness.outputReader()
            let outputs = try RelayOutputs(await reader.readAll(expecting: 6, timeout: .seconds(20)))
            await reader.close()

            #expect(outputs.outcomes.count == 6, "log: \(relay.logPath)")
            let byID = outputs.byServerEventID
            for account in accounts {
                let qualified = byID[account.qualified]?.first
                #expect(byID[account.registered]?.map(\.status) == ["advanced"], "\(account.registered)")
                #expect(byID[account.qualified]?.map(\.status) == ["advanced"], "\(account.qualified)")
                #expect(qualified?.reward == true)
                #expect((qualified?.attempts ?? 0) > 1, "the qualified was retried after its 422")
            }
            #expect(outputs.deadLetters.isEmpty, "nothing rejected")
            let accepted = harness.acceptedAsNew
            for account in accounts {
                #expect(accepted[account.registered] == 1 && accepted[account.qualified] == 1)
            }

            #expect(try await harness.waitForCommitsAtEnd().isEmpty)
            #expect(await relay.terminate() == 0)
            harness.expectSecretNeverPrinted()
        }
    }
}
