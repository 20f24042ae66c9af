import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle
import Testing

/// Two relays in one consumer group, the second joining mid-run: partitions move between
/// members while events are in flight, and still every referral event reaches MMOLove exactly
/// once as new (redeliveries answer `duplicate`), every event has an outcome, and the group's
/// offsets end committed at the end of every input partition.
@Suite(.timeLimit(.minutes(2)))
struct RelayGroupTests {
    @Test func aSecondMemberJoiningMidRunLosesNothingAndCommitsToTheEnd() async throws {
        let partitions = 4
        let cluster = try await RelayGroupHarness.cluster(partitions: partitions)
        let secret = ReferralSecret("group-test-secret-\(UUID().uuidString)")
        let group = "relay-group-\(UUID().uuidString)"
        let accounts = (0..<120).map { String(format: "acct-%04d", $0) }
        var faults = SandboxFaults.none
        faults.latencyMilliseconds = 15
        try await RelayGroupHarness.withSandbox(secret: secret, faults: faults) { sandbox, address, tasks in
            let configuration = RelayGroupHarness.configuration(
                cluster: cluster, group: group, sandbox: address, secret: secret, maxInFlight: 8)

            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: RelayGroupHarness.logger
            )
            try await RelayGroupHarness.seed(producer, accounts: accounts)
            await producer.close()

            let first = ServiceGroup(
                services: try buildRelay(configuration: configuration, logger: RelayGroupHarness.logger),
                logger: RelayGroupHarness.logger
            )
            // Each member its own local copy of the referee store, as each pod has.
            var secondConfiguration = configuration
            secondConfiguration.referees.directory = (configuration.referees.directory ?? "") + "-second"
            let second = ServiceGroup(
                services: try buildRelay(configuration: secondConfiguration, logger: RelayGroupHarness.logger),
                logger: RelayGroupHarness.logger
            )
            tasks.addTask { try await first.run() }
            // Let the first member take every partition and get going before the second joins.
            let deadline = ContinuousClock.now + .seconds(30)
            while sandbox.store.stats.requests < 40, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(sandbox.store.stats.requests >= 40, "the first member never got going")
            tasks.addTask { try await second.run() }

            let expected = Set(accounts.flatMap { ["reg-\($0)", "qual-\($0)"] })
            let outcomes = try await RelayGroupHarness.outcomes(cluster, timeout: .seconds(60)) { records in
                Set(records.map(\.serverEventID)).isSuperset(of: expected)
            }
            // The group commits to the end while running (once its rebalances are over). A
            // shutdown while the group still rebalances cannot promise that: an evicted member's
            // partitions (`lost`) cannot be committed by it.
            let committedDeadline = ContinuousClock.now + .seconds(40)
            while ContinuousClock.now < committedDeadline {
                let positions = try await RelayGroupHarness.commitPositions(
                    cluster, group: group, partitions: partitions)
                if positions.values.allSatisfy({ $0.committed == $0.high }) { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            await first.triggerGracefulShutdown()
            await second.triggerGracefulShutdown()

            #expect(Set(outcomes.map(\.serverEventID)) == expected, "an event has no outcome")
            for outcome in outcomes {
                #expect(
                    [.advanced, .duplicate].contains(outcome.status), "\(outcome.serverEventID): \(outcome.status)")
                #expect(outcome.reward == (outcome.event == .qualified))
            }
            // Accepted as new exactly once per event; any redelivery after the rebalance was a duplicate.
            let log = sandbox.store.log
            let advancedPerEvent = Dictionary(grouping: log.filter { $0.verdict == .advanced }) { entry in
                (try? JSONSerialization.jsonObject(with: Data(entry.body.utf8)) as? [String: Any])?["server_event_id"]
                    as? String ?? "?"
            }
            #expect(Set(advancedPerEvent.keys) == expected)
            #expect(advancedPerEvent.values.allSatisfy { $0.count == 1 }, "an event was accepted as new twice")
            let duplicates = outcomes.count - expected.count
            print("relay group: \(outcomes.count) outcomes for \(expected.count) events (\(duplicates) redelivered)")

            // Both members leave after committing their settled prefixes: the group is at the end.
            let positions = try await RelayGroupHarness.commitPositions(cluster, group: group, partitions: partitions)
            for (partition, position) in positions {
                #expect(
                    position.committed == position.high,
                    "\(partition): committed \(position.committed) of \(position.high)")
            }
        }
    }
}
