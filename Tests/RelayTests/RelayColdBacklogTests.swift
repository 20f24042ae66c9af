import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle
import Testing

/// A relay started cold on a backlog of both topics (a new deployment, a replay), and the same
/// after an outage: every `qualified` whose `registered` is on the topics ends `advanced`,
/// however long the backlog takes to read. Before the scheduler parked waiting events outside
/// the window and read partitions side by side, such a backlog rejected a `qualified` for every
/// account whose `registered` was read later than the 422 wait.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RelayColdBacklogTests {
    typealias H = RelayGroupHarness

    /// `accounts` account-created records, then a qualifying milestone for every third
    /// account, all produced before the relay starts.
    static func seedBacklog(_ cluster: MockCluster, accounts: Int) async throws -> Int {
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.linger = .milliseconds(5)
        let producer = try KafkaProducer(configuration: configuration, logger: H.logger)
        let names = (0..<accounts).map { String(format: "cold-%05d", $0) }
        let qualifying = names.enumerated().filter { $0.offset % 3 == 2 }.map(\.element)
        let created = names.map { account in
            KafkaProducerRecord(
                topic: H.topics.accountCreated, key: Array(account.utf8),
                value: Array(#"{"account_id":"\#(account)","mmref":"m_\#(account)"}"#.utf8))
        }
        let milestones = qualifying.map { account in
            KafkaProducerRecord(
                topic: H.topics.milestoneReached, key: Array(account.utf8),
                value: Array(#"{"account_id":"\#(account)","milestone":"level_10","mmref":"m_\#(account)"}"#.utf8))
        }
        // Milestones after their accounts, as a platform writes them.
        for batch in [created, milestones] {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for record in batch {
                    group.addTask { _ = try await producer.send(record) }
                }
                try await group.waitForAll()
            }
        }
        await producer.close()
        return accounts + qualifying.count
    }

    /// Runs a relay (a small window, a short 422 wait) over the backlog until every event has an
    /// outcome, and checks that none was rejected and every input partition was committed to
    /// its end.
    static func runOverBacklog(
        accounts: Int, faults: SandboxFaults, healAfter: Duration? = nil, refereeStore: Bool = true
    ) async throws {
        let cluster = try await H.cluster(partitions: 3)
        let events = try await Self.seedBacklog(cluster, accounts: accounts)
        let secret = ReferralSecret("cold-backlog-\(UUID().uuidString)")
        let group = "relay-cold-\(UUID().uuidString)"
        try await H.withSandbox(secret: secret, faults: faults) { sandbox, address, tasks in
            var configuration = H.configuration(
                cluster: cluster, group: group, sandbox: address, secret: secret, maxInFlight: 16)
            // Shorter than the time the backlog takes: only progress can keep the wait alive.
            configuration.delivery.qualifiedWait = .seconds(2)
            configuration.referees.enabled = refereeStore
            let relay = ServiceGroup(
                services: try buildRelay(configuration: configuration, logger: H.logger), logger: H.logger)
            tasks.addTask { try await relay.run() }
            if let healAfter {
                try await Task.sleep(for: healAfter)
                try sandbox.store.setFaults(.none)
            }
            let outcomes = try await H.outcomes(cluster, timeout: .seconds(120)) { $0.count >= events }
            let positions = try await Self.eventuallyCommitted(cluster, group: group)
            await relay.triggerGracefulShutdown()
            #expect(outcomes.count == events)
            let byStatus = Dictionary(grouping: outcomes, by: \.status).mapValues(\.count)
            #expect(byStatus == [.advanced: events], "\(byStatus)")
            #expect(Set(outcomes.map(\.serverEventID)).count == events, "an event got two outcomes")
            for (partition, position) in positions {
                #expect(
                    position.committed == position.high,
                    "\(partition) committed \(position.committed) of \(position.high)")
            }
            let refusals = sandbox.store.log.filter { $0.verdict == .invalidTransition }.count
            // Without the store, qualified events overtake their registered ones and wait on 422;
            // with it (on by default) they wait for the store's record of the registration.
            #expect(
                refusals > 0 || faults != .none || refereeStore, "no qualified ever waited: the backlog proved nothing")
        }
    }

    /// The commit positions once every input partition is committed to its end (or after 10 s).
    static func eventuallyCommitted(
        _ cluster: MockCluster,
        group: String
    ) async throws -> [KafkaTopicPartition: (committed: Int64, high: Int64)] {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let positions = try await H.commitPositions(cluster, group: group, partitions: 3)
            if positions.values.allSatisfy({ $0.committed == $0.high }) || ContinuousClock.now > deadline {
                return positions
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    @Test func aColdBacklogOfBothTopicsEndsWithEveryEventAdvanced() async throws {
        // The 422 wait on its own (the referee store off): qualified events overtaking their
        // registered ones must still end advanced.
        try await Self.runOverBacklog(accounts: 3_000, faults: .none, refereeStore: false)
    }

    @Test func anOutageWithABacklogBehindItEndsWithEveryEventAdvanced() async throws {
        // MMOLove answers 500 to everything for 5 s (the circuit breaker opens and probes), then
        // heals with the whole backlog still behind.
        try await Self.runOverBacklog(accounts: 1_500, faults: SandboxFaults(failRate: 1), healAfter: .seconds(5))
    }
}
