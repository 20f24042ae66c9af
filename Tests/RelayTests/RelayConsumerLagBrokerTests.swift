import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle
import Testing

/// `relay_consumer_lag` against the broker: a relay stopped part-way through a backlog reports,
/// per partition, exactly what the group's lag is on the broker (high watermark minus the
/// group's committed offset), read with a consumer of its own (OffsetFetch and ListOffsets, as
/// `kafka-consumer-groups --describe` reads it). `ConsumerLagTests` holds the formula with
/// plain values; this holds the figures librdkafka reports to the relay against the broker's.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RelayConsumerLagBrokerTests {
    typealias H = RelayGroupHarness
    static let partitions = 2

    /// One partition as the broker sees it for the group.
    struct BrokerLag: Equatable, CustomStringConvertible {
        /// The group's committed offset, -1 when it has none.
        var committed: Int64
        var low: Int64
        var high: Int64
        /// What Kafka's tools report: the end minus the committed offset (the start of the log
        /// when the group has committed nothing, as the relay's new group starts at the earliest).
        var lag: Int64 { self.high - (self.committed >= 0 ? self.committed : self.low) }
        var description: String { "committed \(self.committed) of \(self.low)..<\(self.high)" }
    }

    /// The relay settles part of a backlog on every partition's way, then MMOLove fails every
    /// request: the relay keeps running, with records read but not settled after each partition's
    /// committed offset. Its last `/metrics` before it is stopped gives, per partition, the
    /// broker's high watermark minus the group's committed offset; read again after the stop, the
    /// broker still agrees. A lag computed from the consumer's position (records read) instead
    /// of the committed offset, or from the start of the log, would not.
    @Test func scrapedLagIsTheBrokersEndMinusTheGroupsCommittedOffsetWhenStoppedMidRun() async throws {
        let cluster = try await H.cluster(partitions: Self.partitions)
        let secret = ReferralSecret("lag-broker-\(UUID().uuidString)")
        let group = "relay-lag-broker-\(UUID().uuidString)"
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]), logger: H.logger)
        try await H.seed(producer, accounts: (0..<40).map { "lag-\($0)" })
        await producer.close()

        // Slow answers and two requests at a time: the backlog takes seconds, so the relay can be
        // caught with part of it committed.
        let slow = SandboxFaults(latencyMilliseconds: 150)
        try await H.withSandbox(secret: secret, faults: slow) { sandbox, address, tasks in
            var configuration = H.configuration(
                cluster: cluster, group: group, sandbox: address, secret: secret, maxInFlight: 2)
            // Reports every second (5 s by default): the scrape follows the commits within seconds.
            configuration.kafka.properties["statistics.interval.ms"] = "1000"
            // Longer than the test: no qualified is given up on (settled) while MMOLove fails.
            configuration.delivery.qualifiedWait = .seconds(300)
            // The stop abandons the failing deliveries at once instead of waiting 20 s for them.
            configuration.drainTimeout = .seconds(1)
            let (relay, base, stopped) = try await Self.start(configuration, in: &tasks)

            // Part-way: as soon as the broker has a partition committed past its start but not to
            // its end, MMOLove stops taking anything. Nothing settles after the requests in
            // flight; the relay keeps reading, retrying and reporting.
            var partway = false
            let partwayDeadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < partwayDeadline {
                let broker = try await Self.brokerLags(cluster, group: group)
                if broker.values.contains(where: { $0.committed > $0.low && $0.committed < $0.high }) {
                    partway = true
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            try #require(partway, "no partition was ever committed part-way")
            try sandbox.store.setFaults(SandboxFaults(failRate: 1.0))

            // Statistics arrive each second and commits each 200 ms: wait until the scrape and the
            // broker agree on every partition, with the broker unchanged across the scrape.
            var agreed: (scrape: MetricsScrape, broker: [String: BrokerLag])?
            var last = ""
            let agreeDeadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < agreeDeadline {
                let before = try await Self.brokerLags(cluster, group: group)
                // A scrape that misses its deadline on a loaded machine is tried again.
                guard let scrape = try? await MetricsScrape.get(base) else {
                    try await Task.sleep(for: .milliseconds(250))
                    continue
                }
                let after = try await Self.brokerLags(cluster, group: group)
                let scraped = scrape.perPartition("relay_consumer_lag")
                last = "scraped \(scraped), broker \(after)"
                if before == after, after.count == 2 * Self.partitions,
                    after.allSatisfy({ scraped[$0.key] == Double($0.value.lag) })
                {
                    agreed = (scrape, after)
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            let (scrape, broker) = try #require(agreed, "relay_consumer_lag never matched the broker: \(last)")

            // The comparison proves the formula only where the committed offset is neither the
            // start of the log nor the relay's position: a partition committed part-way whose
            // next records are read but not settled (relay_commit_lag > 0).
            let commitLags = scrape.perPartition("relay_commit_lag")
            let telling = broker.filter { partition, lag in
                lag.committed > lag.low && lag.committed < lag.high && (commitLags[partition] ?? 0) > 0
            }
            #expect(!telling.isEmpty, "no partition committed part-way with records read after it: \(last)")

            // Stopped mid-run: the relay commits its settled prefix and leaves. Records answered
            // just before the fault may settle meanwhile (a CI run saw one partition's commit move
            // by 2 at the stop): where the committed offset did not move, the scrape taken last is
            // still the broker's lag; where it moved, the lag only went down, or stayed when the
            // move was from no commit to the start of the log (a partition nothing had settled
            // in before the fault, committed at its first offset by the final commit: a CI run
            // saw "committed 0 of 0..<20" with 20 scraped).
            await relay.triggerGracefulShutdown()
            for await _ in stopped {}
            let final = try await Self.brokerLags(cluster, group: group)
            let scraped = scrape.perPartition("relay_consumer_lag")
            for (partition, lag) in final {
                let seen = try #require(scraped[partition], "\(partition) has no series: \(scraped)")
                if lag.committed == broker[partition]?.committed {
                    #expect(seen == Double(lag.lag), "\(partition): scraped \(scraped), broker \(lag)")
                } else {
                    #expect(Double(lag.lag) <= seen, "\(partition): scraped \(scraped), broker \(lag)")
                }
            }
            #expect(final.values.contains { $0.lag > 0 }, "the relay was not stopped mid-run: \(final)")
        }
    }

    /// Builds a relay and runs it in `tasks`; returns it, its ops base URL, and a stream that
    /// finishes when the relay has stopped (its services returned: committed, left the group).
    static func start(
        _ configuration: RelayConfiguration,
        in tasks: inout ThrowingTaskGroup<Void, any Error>
    ) async throws -> (ServiceGroup, String, AsyncStream<Void>) {
        let (relay, ports) = try H.relay(configuration)
        let (stopped, stoppedSink) = AsyncStream.makeStream(of: Void.self)
        tasks.addTask {
            defer { stoppedSink.finish() }
            try await relay.run()
        }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        return (relay, "http://127.0.0.1:\(port)", stopped)
    }

    /// Every input partition's committed offset for `group` and its watermarks, keyed
    /// `topic[partition]` like ``MetricsScrape/perPartition(_:)``, read by a consumer that never
    /// joins the group.
    static func brokerLags(_ cluster: MockCluster, group: String) async throws -> [String: BrokerLag] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: [cluster.bootstrapServers], groupID: group),
            logger: H.logger)
        let all = [H.topics.accountCreated, H.topics.milestoneReached].flatMap { topic in
            (0..<Int32(Self.partitions)).map { KafkaTopicPartition(topic: topic, partition: $0) }
        }
        var lags: [String: BrokerLag] = [:]
        do {
            let committed = try await consumer.committed(all)
            for partition in all {
                let marks = try await consumer.watermarks(topic: partition.topic, partition: partition.partition)
                lags["\(partition.topic)[\(partition.partition)]"] = BrokerLag(
                    committed: committed[partition] ?? -1, low: marks.low, high: marks.high)
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        return lags
    }
}
