import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import Testing

@testable import Relay

/// One record held for long (a `qualified` whose `registered` never comes) keeps its
/// partition's commit back while the partition keeps flowing; the ledger keeps an entry per
/// record read past it, so reading that partition is held at the ledger window limit instead
/// of letting memory grow for as long as the hold lasts.
@Suite(.timeLimit(.minutes(2)))
struct RelayLedgerBoundTests {
    @Test func aHeldRecordPausesItsPartitionAtTheLedgerLimit() async throws {
        let bounded = try await Self.consumedBehindAHeldRecord(ledgerWindowLimit: 50)
        let unbounded = try await Self.consumedBehindAHeldRecord(ledgerWindowLimit: 100_000)
        print("ledger bound: \(bounded) records read behind a held record with limit 50, \(unbounded) without")
        // After the hold what the consumer had already buffered (up to 1,024 records) still
        // drains: 512 measured; all 3,001 would mean no hold.
        #expect(bounded < 2_000, "fetching went on past the limit: \(bounded) records read")
        #expect(bounded >= 50, "the relay read up to its limit at least (it read \(bounded))")
        #expect(unbounded == 3_001, "control: without the limit every record is read")
    }

    /// Runs a pipeline over one held milestone followed by 3,000 records to skip and returns
    /// how many records it read within a few seconds.
    static func consumedBehindAHeldRecord(ledgerWindowLimit: Int64) async throws -> Int {
        let cluster = try await RelayGroupHarness.cluster(partitions: 1)
        let secret = ReferralSecret("ledger-bound-\(UUID().uuidString)")
        return try await RelayGroupHarness.withSandbox(secret: secret) { sandbox, address, tasks in
            let configuration = RelayGroupHarness.configuration(
                cluster: cluster, group: "ledger-\(UUID().uuidString)", sandbox: address, secret: secret)

            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: RelayGroupHarness.logger
            )
            let topic = RelayGroupHarness.topics.milestoneReached
            let held = #"{"account_id":"acct-held","milestone":"level_10","mmref":"mmref_held"}"#
            _ = try await producer.send(KafkaProducerRecord(topic: topic, value: Array(held.utf8)))
            try await withThrowingTaskGroup(of: Void.self) { sends in
                for index in 0..<3_000 {
                    sends.addTask {
                        let value = #"{"account_id":"acct-\#(index)","milestone":"level_10","mmref":null}"#
                        _ = try await producer.send(KafkaProducerRecord(topic: topic, value: Array(value.utf8)))
                    }
                }
                try await sends.waitForAll()
            }
            await producer.close()

            let telemetry = RelayTelemetry()
            let connectionPool = try ReferralConnectionPool(endpoint: configuration.mmolove.endpoint)
            let health = RelayHealth()
            let metrics = RelayMetrics(
                factory: telemetry.factory, serverIDs: configuration.mmolove.credentials.serverIDs)
            let pipeline = RelayPipeline(
                configuration: configuration,
                consumer: try KafkaConsumer(
                    configuration: configuration.consumerConfiguration(clientID: "ledger-test"),
                    logger: RelayGroupHarness.logger),
                producer: try KafkaProducer(
                    configuration: configuration.producerConfiguration(clientID: "ledger-test"),
                    logger: RelayGroupHarness.logger),
                deliverer: Deliverer(
                    mmolove: configuration.mmolove, delivery: configuration.delivery, connectionPool: connectionPool,
                    metrics: metrics, health: health, logger: RelayGroupHarness.logger),
                metrics: metrics,
                health: health,
                ledgerWindowLimit: ledgerWindowLimit,
                logger: RelayGroupHarness.logger
            )
            let running = Task { try await pipeline.run() }
            // Joining the mock's group takes ~3 s, and over 12 s once with the whole suite
            // running beside it (the control then read nothing); reading 3,000 small records is
            // quick after it. The count is taken once it has stood still for 2 s.
            let deadline = ContinuousClock.now + .seconds(40)
            var consumed = 0
            var stableSince = ContinuousClock.now
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                let now = Self.consumed(telemetry)
                if now != consumed { (consumed, stableSince) = (now, ContinuousClock.now) }
                if consumed > 0, ContinuousClock.now - stableSince > .seconds(2) { break }
            }
            running.cancel()
            _ = try? await running.value
            await connectionPool.shutdown()
            return consumed
        }
    }

    /// `relay_records_consumed_total` summed over topics.
    static func consumed(_ telemetry: RelayTelemetry) -> Int {
        telemetry.exposition().split(separator: "\n")
            .filter { $0.hasPrefix(RelayMetrics.Name.consumed + "{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0) { $0 + Int($1) }
    }
}
