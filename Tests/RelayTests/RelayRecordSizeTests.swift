import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle
import Testing

/// Every record settles, whatever its size (issue 11), run in process on the embedded broker
/// and the sandbox over loopback: a 1 MiB input value is dead-lettered (cut to fit), an event
/// whose outcome exceeds the producer's `message.max.bytes` gets a reduced outcome, an account
/// id too large for any outcome is dead-lettered before it is sent, every input partition is
/// committed to its end, and a second relay in the same group sends nothing again.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RelayRecordSizeTests {
    typealias H = RelayGroupHarness

    /// The relay's producer limit in this test (librdkafka's own check refuses larger records).
    static let limit = 10_000
    /// Fits as input, too large as an outcome (about 3 copies of it), fine reduced (2 copies).
    static let bigAccount = "big-" + String(repeating: "a", count: 3_600)
    /// Even a reduced outcome (2 copies) would not fit.
    static let hugeAccount = "huge-" + String(repeating: "h", count: 5_000)

    @Test func recordsOfAnySizeSettleAndAreNotResentAfterARestart() async throws {
        let cluster = try await H.cluster(partitions: 1)
        let secret = ReferralSecret("size-\(UUID().uuidString)")
        let group = "relay-size-\(UUID().uuidString)"
        let kafka = RelayConfiguration.Kafka(
            brokers: [cluster.bootstrapServers], groupID: "reader", properties: ["fetch.wait.max.ms": "50"])
        let bigValue = try await Self.seed(cluster)

        try await H.withSandbox(secret: secret) { sandbox, address, _ in
            var configuration = H.configuration(cluster: cluster, group: group, sandbox: address, secret: secret)
            configuration.kafka.properties["message.max.bytes"] = String(Self.limit)

            // The first relay settles everything.
            let first = ServiceGroup(
                services: try buildRelay(configuration: configuration, logger: H.logger), logger: H.logger)
            let firstRun = Task { try await first.run() }
            let (outcomes, letters) = try await Self.eventually(kafka, outcomes: 3, deadLetters: 2)
            let positions = try await Self.eventuallyCommitted(cluster, group: group)
            await first.triggerGracefulShutdown()
            try await firstRun.value

            #expect(outcomes.count == 3 && letters.count == 2, "\(outcomes.count) outcomes, \(letters.count) DLQ")
            for (partition, position) in positions {
                #expect(position.committed == position.high, "\(partition) \(position.committed)/\(position.high)")
            }

            // The 1 MiB input: dead-lettered at decode, as much of it as fits, and says so.
            let big = try #require(letters.first { $0.header("__connect.errors.offset") == "0" })
            #expect(big.header("__connect.errors.stage") == "decode")
            #expect(big.header("__connect.errors.exception.message")?.contains("exceeds the input limit") == true)
            #expect(big.header(DeadLetter.truncatedHeader) == "value")
            #expect(big.header(DeadLetter.originalSizeHeader) == String(bigValue.count))
            #expect(big.key == Array("big-input".utf8))
            #expect(big.value.count > 5_000 && big.value.count < Self.limit)
            #expect(big.value == Array(bigValue.prefix(big.value.count)))

            // The account id too large for any outcome: dead-lettered, never sent to MMOLove.
            let huge = try #require(letters.first { $0.header("__connect.errors.offset") == "2" })
            #expect(huge.header("__connect.errors.stage") == "decode")
            #expect(huge.header("__connect.errors.exception.message")?.contains("not sent") == true)
            #expect(!sandbox.store.log.contains { $0.body.contains("huge-hhh") })

            // The big account: accepted by MMOLove, its outcome published reduced, keyed by a hash.
            let reduced = try #require(outcomes.first { $0.key.count < 100 && $0.outcome.accountID == Self.bigAccount })
            #expect(reduced.outcome.reduced)
            #expect(reduced.outcome.status == .advanced)
            #expect(reduced.outcome.serverEventID == "reg-" + Self.bigAccount)
            #expect(reduced.outcome.mmref == "m_big")
            #expect(reduced.key == Array(OutcomeRecord.hashedKey(accountID: Self.bigAccount).utf8))
            let small = outcomes.filter { $0.outcome.accountID == "small-1" }
            #expect(small.count == 2 && small.allSatisfy { !$0.outcome.reduced })
            #expect(small.contains { $0.outcome.reward })

            // A second relay in the same group: nothing settled is sent again. One new record proves
            // it is reading.
            let requestsBefore = sandbox.store.log.count
            let second = ServiceGroup(
                services: try buildRelay(configuration: configuration, logger: H.logger), logger: H.logger)
            let secondRun = Task { try await second.run() }
            try await Self.produce(cluster, account: "after-restart")
            let (later, laterLetters) = try await Self.eventually(kafka, outcomes: 4, deadLetters: 2)
            await second.triggerGracefulShutdown()
            try await secondRun.value
            #expect(later.count == 4 && laterLetters.count == 2)
            let newRequests = sandbox.store.log.dropFirst(requestsBefore)
            #expect(newRequests.count == 1, "\(newRequests.map(\.body))")
            #expect(newRequests.allSatisfy { $0.body.contains("reg-after-restart") })
        }
    }

    /// A broker (or topic) limit below the producer's: the broker answers `MSG_SIZE_TOO_LARGE`
    /// and the outcome goes out reduced; the producer stays usable.
    @Test func anOutcomeTheBrokerRefusesForItsSizeIsPublishedReduced() async throws {
        let cluster = try await H.cluster(partitions: 1)
        let secret = ReferralSecret("size-broker-\(UUID().uuidString)")
        let group = "relay-size-broker-\(UUID().uuidString)"
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]), logger: H.logger)
        let value = #"{"account_id":"broker-1","mmref":"m_b"}"#
        _ = try await producer.send(
            KafkaProducerRecord(topic: H.topics.accountCreated, key: Array("broker-1".utf8), value: Array(value.utf8)))
        await producer.close()
        try await cluster.pushRequestErrors(apiKey: 0, errors: [.messageSizeTooLarge])

        try await H.withSandbox(secret: secret) { _, address, _ in
            var configuration = H.configuration(cluster: cluster, group: group, sandbox: address, secret: secret)
            // The one Produce refused must be the outcome's, not the referee store's.
            configuration.referees.enabled = false
            let relay = ServiceGroup(
                services: try buildRelay(configuration: configuration, logger: H.logger), logger: H.logger)
            let run = Task { try await relay.run() }
            let outcomes = try await H.outcomes(cluster, timeout: .seconds(30)) { $0.count >= 1 }
            let positions = try await Self.eventuallyCommitted(cluster, group: group)
            await relay.triggerGracefulShutdown()
            try await run.value
            #expect(outcomes.count == 1)
            #expect(outcomes.first?.reduced == true)
            #expect(outcomes.first?.status == .advanced)
            // milestone-reached is empty here: nothing to commit there.
            for (partition, position) in positions where position.high > 0 {
                #expect(position.committed == position.high, "\(partition) \(position.committed)/\(position.high)")
            }
        }
    }

    /// Produces, on the single account-created partition: a 1 MiB value (offset 0), the big
    /// account (1), the huge account (2); and `small-1`'s account and milestone. Returns the big
    /// value.
    static func seed(_ cluster: MockCluster) async throws -> [UInt8] {
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.properties["message.max.bytes"] = "2000000"
        let producer = try KafkaProducer(configuration: configuration, logger: H.logger)
        let padding = String(repeating: "p", count: 1_048_576)
        let bigValue = Array(#"{"account_id":"big-input","mmref":"m_in","pad":"\#(padding)"}"#.utf8)
        let records: [(String, String, [UInt8])] = [
            (H.topics.accountCreated, "big-input", bigValue),
            (H.topics.accountCreated, bigAccount, Array(#"{"account_id":"\#(bigAccount)","mmref":"m_big"}"#.utf8)),
            (H.topics.accountCreated, hugeAccount, Array(#"{"account_id":"\#(hugeAccount)","mmref":"m_h"}"#.utf8)),
            (H.topics.accountCreated, "small-1", Array(#"{"account_id":"small-1","mmref":"m_s"}"#.utf8)),
            (
                H.topics.milestoneReached, "small-1",
                Array(#"{"account_id":"small-1","milestone":"level_10","mmref":"m_s"}"#.utf8)
            ),
        ]
        // In order, so the offsets are the ones the test names.
        for (topic, key, value) in records {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, key: Array(key.utf8), value: value))
        }
        await producer.close()
        return bigValue
    }

    /// Produces one referred account-created record.
    static func produce(_ cluster: MockCluster, account: String) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]), logger: H.logger)
        let value = #"{"account_id":"\#(account)","mmref":"m_r"}"#
        _ = try await producer.send(
            KafkaProducerRecord(topic: H.topics.accountCreated, key: Array(account.utf8), value: Array(value.utf8)))
        await producer.close()
    }

    /// The outcomes (with their keys) and dead letters once there are at least as many as asked
    /// (or after 60 s).
    static func eventually(
        _ kafka: RelayConfiguration.Kafka,
        outcomes: Int,
        deadLetters: Int
    ) async throws -> ([(key: [UInt8], outcome: OutcomeRecord)], [KafkaConsumerMessage]) {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let outcomeRecords = try await Self.snapshot(kafka, kafka.topics.outcomes).map { message in
                (
                    key: message.key ?? [],
                    outcome: try JSONDecoder().decode(OutcomeRecord.self, from: Data(message.value))
                )
            }
            let letters = try await Self.snapshot(kafka, kafka.topics.dlq)
            if (outcomeRecords.count >= outcomes && letters.count >= deadLetters) || ContinuousClock.now > deadline {
                return (outcomeRecords, letters)
            }
            try await Task.sleep(for: .milliseconds(300))
        }
    }

    /// Every record of `topic` now.
    static func snapshot(_ kafka: RelayConfiguration.Kafka, _ topic: String) async throws -> [KafkaConsumerMessage] {
        let consumer = try KafkaConsumer(
            configuration: kafka.toolConsumerConfiguration(clientID: "snapshot", groupID: "snapshot"),
            logger: H.logger)
        let reader = DeadLetterReader(consumer: consumer, topic: topic, idleTimeout: .seconds(10))
        var messages: [KafkaConsumerMessage] = []
        _ = try await reader.read(try await reader.plan(from: nil, resume: false)) {
            messages.append($0)
            return true
        }
        await consumer.close()
        return messages
    }

    /// The commit positions once both input partitions are committed to their end (or after 10 s).
    static func eventuallyCommitted(
        _ cluster: MockCluster,
        group: String
    ) async throws -> [KafkaTopicPartition: (committed: Int64, high: Int64)] {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let positions = try await H.commitPositions(cluster, group: group, partitions: 1)
            if positions.values.allSatisfy({ $0.committed == $0.high || $0.high == 0 })
                || ContinuousClock.now > deadline
            {
                return positions
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
