import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle
import Testing

/// The relay's `/metrics` as an operator scrapes it, in process on the embedded broker and the
/// sandbox: consumer lag from librdkafka's statistics, the age of the oldest unsettled record,
/// the build info, and the per-partition series of a member following its assignment.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RelayOpsMetricsTests {
    typealias H = RelayGroupHarness
    static let gauges = ["relay_commit_lag", "relay_consumer_lag", "relay_oldest_unsettled_age_seconds"]
    static let inputPartitions = [
        "account-created[0]", "account-created[1]", "milestone-reached[0]", "milestone-reached[1]",
    ]

    /// A relay started on a backlog while MMOLove fails: its lag and the age of its oldest
    /// unsettled record grow; once MMOLove answers, the backlog is processed and both go to 0.
    /// Then a second member joins: the partitions the first one gave up disappear from its
    /// `/metrics` and appear in the second's, so summing a gauge over members never counts a
    /// partition twice.
    @Test func lagGoesToZeroAfterTheBacklogAndRevokedPartitionsLeaveTheScrape() async throws {
        let cluster = try await H.cluster(partitions: 2)
        let secret = ReferralSecret("ops-metrics-\(UUID().uuidString)")
        let group = "relay-ops-metrics-\(UUID().uuidString)"
        let accounts = (0..<20).map { "ops-\($0)" }
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]), logger: H.logger)
        try await H.seed(producer, accounts: accounts)
        await producer.close()

        try await H.withSandbox(secret: secret, faults: SandboxFaults(failRate: 1.0)) { sandbox, address, tasks in
            var configuration = H.configuration(cluster: cluster, group: group, sandbox: address, secret: secret)
            configuration.kafka.properties["statistics.interval.ms"] = "1000"
            let (first, firstBase) = try await Self.start(configuration, in: &tasks)

            // MMOLove fails: nothing settles, the backlog is all lag, the oldest record ages.
            var held: MetricsScrape?
            let holdDeadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < holdDeadline {
                // A scrape that misses its deadline on a loaded machine is tried again: the test is
                // about the values, not the latency.
                guard let scrape = try? await MetricsScrape.get(firstBase) else {
                    try await Task.sleep(for: .milliseconds(200))
                    continue
                }
                let lags = scrape.perPartition("relay_consumer_lag")
                let ages = scrape.perPartition("relay_oldest_unsettled_age_seconds")
                if Set(lags.keys) == Set(Self.inputPartitions), lags.values.reduce(0, +) == 40,
                    ages.values.contains(where: { $0 >= 1 })
                {
                    held = scrape
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            let heldScrape = try #require(held, "no lag of the whole backlog while MMOLove fails")
            #expect(Set(heldScrape.perPartition("relay_commit_lag").keys) == Set(Self.inputPartitions))

            try sandbox.store.setFaults(.none)
            var drained: MetricsScrape?
            let drainDeadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < drainDeadline {
                // A scrape that misses its deadline on a loaded machine is tried again: the test is
                // about the values, not the latency.
                guard let scrape = try? await MetricsScrape.get(firstBase) else {
                    try await Task.sleep(for: .milliseconds(200))
                    continue
                }
                let lags = scrape.perPartition("relay_consumer_lag")
                let ages = scrape.perPartition("relay_oldest_unsettled_age_seconds")
                if lags.count == 4, lags.values.allSatisfy({ $0 == 0 }), ages.count == 4,
                    ages.values.allSatisfy({ $0 == 0 })
                {
                    drained = scrape
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            let scrape = try #require(drained, "relay_consumer_lag never went to 0 after the backlog")
            #expect(scrape.perPartition("relay_commit_lag").values.allSatisfy { $0 == 0 })
            let buildInfo =
                #"relay_build_info{version="\#(ReferralRelayVersion.current)",librdkafka="\#(Kafka.librdkafkaVersion)"}"#
            #expect(scrape.value(buildInfo) == 1)
            let delivered = scrape.series(named: "relay_deliveries_total")
            #expect(
                !delivered.isEmpty && delivered.allSatisfy { $0.contains(#"server_id="srv_group""#) }, "\(delivered)")
            let retried = scrape.series(named: "relay_delivery_retries_total")
            #expect(!retried.isEmpty && retried.allSatisfy { $0.contains(#"server_id="srv_group""#) }, "\(retried)")
            if Promtool.isInstalled {
                let lint = try await Promtool.checkMetrics(scrape.text)
                #expect(lint.status == 0 && lint.output.isEmpty, "promtool check metrics: \(lint.output)")
            }

            // A second member takes some partitions: each partition's series are in one scrape only.
            // Each member its own local copy of the referee store, as each pod has.
            var secondConfiguration = configuration
            secondConfiguration.referees.directory = (configuration.referees.directory ?? "") + "-second"
            let (second, secondBase) = try await Self.start(secondConfiguration, in: &tasks)
            var split: (first: Set<String>, second: Set<String>)?
            var last = ""
            let splitDeadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < splitDeadline {
                // Scrapes answered late while the group rebalances are tried again.
                guard let one = try? await MetricsScrape.get(firstBase),
                    let two = try? await MetricsScrape.get(secondBase),
                    let owned = try? await (Self.assigned(firstBase), Self.assigned(secondBase))
                else {
                    try await Task.sleep(for: .milliseconds(200))
                    continue
                }
                let partitions = Self.gauges.map { (Set(one.perPartition($0).keys), Set(two.perPartition($0).keys)) }
                last = "\(owned): \(partitions)"
                let consistent = partitions.allSatisfy { mine, theirs in
                    mine.isDisjoint(with: theirs) && mine.union(theirs) == Set(Self.inputPartitions)
                        && mine.count == owned.0 && theirs.count == owned.1
                }
                if owned.0 > 0, owned.1 > 0, owned.0 + owned.1 == 4, consistent {
                    split = partitions[0]
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(split != nil, "the members' per-partition series never matched their assignments: \(last)")
            await first.triggerGracefulShutdown()
            await second.triggerGracefulShutdown()
        }
    }

    /// Builds a relay, runs it in `tasks`, and returns it with its ops base URL.
    static func start(
        _ configuration: RelayConfiguration,
        in tasks: inout ThrowingTaskGroup<Void, any Error>
    ) async throws -> (ServiceGroup, String) {
        let (relay, ports) = try H.relay(configuration)
        tasks.addTask { try await relay.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        return (relay, "http://127.0.0.1:\(port)")
    }

    /// The member's assigned partitions, as `/readyz` says.
    static func assigned(_ base: String) async throws -> Int {
        try await OpsHarness.get("\(base)/readyz").json()["assigned_partitions"] as? Int ?? -1
    }
}
