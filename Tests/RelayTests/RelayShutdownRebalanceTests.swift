import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle
import Testing

/// A member that drains (SIGTERM) while the group takes some of its partitions away commits
/// everything it settled: the revoked partitions when they are revoked, the others at shutdown.
/// Unserved, the revocation held the consumer for its whole timeout, the member fell out of the
/// group's generation, and nothing it settled was committed.
@Suite(.timeLimit(.minutes(2)))
struct RelayShutdownRebalanceTests {
    @Test func partitionsRevokedWhileDrainingAreCommittedAndSoAreTheOthers() async throws {
        let cluster = try await RelayGroupHarness.cluster(partitions: 2)
        let secret = ReferralSecret("shutdown-test-secret-\(UUID().uuidString)")
        let group = "relay-shutdown-\(UUID().uuidString)"
        var faults = SandboxFaults.none
        // Long enough for all four to be in flight at SIGTERM, short enough that a revoked
        // partition's `registered` settles within the 7 s revocation drain on a loaded machine
        // (6 s left too little margin: under load a run abandoned it and committed nothing).
        faults.latencyMilliseconds = 4_000
        try await RelayGroupHarness.withSandbox(secret: secret, faults: faults) { sandbox, address, tasks in
            // Slow work on every partition that outlasts the consumer's 10 s revocation timeout
            // (each `qualified` is refused until its wait of 14 s is over), no periodic commit:
            // everything this member settles is committed at shutdown or not at all.
            var configuration = RelayGroupHarness.configuration(
                cluster: cluster, group: group, sandbox: address, secret: secret)
            configuration.mmolove.requestTimeout = .seconds(20)
            configuration.delivery.qualifiedWait = .seconds(14)
            configuration.drainTimeout = .seconds(50)
            configuration.commitInterval = .seconds(120)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: RelayGroupHarness.logger
            )
            for partition in Int32(0)..<2 {
                let account = "acct-\(partition)"
                let created = #"{"account_id":"\#(account)","mmref":"mmref_\#(account)"}"#
                let other = "acct-never-registered-\(partition)"
                let milestone = #"{"account_id":"\#(other)","milestone":"level_10","mmref":"mmref_\#(other)"}"#
                _ = try await producer.send(
                    KafkaProducerRecord(
                        topic: RelayGroupHarness.topics.accountCreated, partition: partition,
                        key: Array(account.utf8), value: Array(created.utf8)))
                _ = try await producer.send(
                    KafkaProducerRecord(
                        topic: RelayGroupHarness.topics.milestoneReached, partition: partition,
                        key: Array(other.utf8), value: Array(milestone.utf8)))
            }
            await producer.close()

            let relay = ServiceGroup(
                services: try buildRelay(configuration: configuration, logger: RelayGroupHarness.logger),
                logger: RelayGroupHarness.logger
            )
            let relayRun = Task { try await relay.run() }
            // All four records in flight at MMOLove, then SIGTERM and a second member joins.
            let deadline = ContinuousClock.now + .seconds(30)
            while sandbox.store.stats.requests < 4, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            await relay.triggerGracefulShutdown()
            var visitorConfiguration = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers], groupID: group)
            visitorConfiguration.sessionTimeout = .seconds(6)
            visitorConfiguration.heartbeatInterval = .milliseconds(500)
            let visitor = try KafkaConsumer(configuration: visitorConfiguration, logger: RelayGroupHarness.logger)
            try await visitor.subscribe(topics: [
                RelayGroupHarness.topics.accountCreated, RelayGroupHarness.topics.milestoneReached,
            ])
            let visiting = Task {
                for try await event in visitor.events {
                    if case .revoked(let revocation) = event { revocation.complete() }
                }
            }
            try await relayRun.value

            let positions = try await RelayGroupHarness.commitPositions(cluster, group: group, partitions: 2)
            let atEnd = positions.filter { $0.value.committed == $0.value.high }.map(\.key.description).sorted()
            let notAtEnd = positions.filter { $0.value.committed != $0.value.high }
                .map { "\($0.key)=\($0.value.committed)" }.sorted()
            print("relay shutdown: committed at the end \(atEnd); not \(notAtEnd)")
            // The group took some partitions away while this member drained: those are committed
            // when revoked, the ones it kept at shutdown. Everything was settled.
            #expect(notAtEnd.isEmpty, "settled records left uncommitted: \(notAtEnd)")
            visiting.cancel()
            await visitor.close()
        }
    }
}
