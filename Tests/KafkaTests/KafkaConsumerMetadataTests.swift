import Foundation
import Kafka
import TestSupport
import Testing

/// ``KafkaConsumer/partitions(of:timeout:)``: a topic's partitions from cluster metadata.
@Suite(.timeLimit(.minutes(1))) struct KafkaConsumerMetadataTests {
    @Test func listsEveryPartitionAndNeverCreatesAMissingTopic() async throws {
        let topic = KafkaTestSupport.unique("metadata")
        let cluster = try await KafkaTestSupport.cluster(topic: topic, partitions: 4)
        let consumer = try KafkaConsumer(
            configuration: KafkaTestSupport.consumerConfiguration(cluster, group: KafkaTestSupport.unique("g")),
            logger: KafkaTestSupport.logger)

        let partitions = try await consumer.partitions(of: topic)
        #expect(partitions == (0..<4).map { KafkaTopicPartition(topic: topic, partition: $0) })

        let missing = KafkaTestSupport.unique("missing")
        for _ in 0..<2 {
            await #expect {
                _ = try await consumer.partitions(of: missing)
            } throws: { error in
                (error as? KafkaError)?.code == .unknownTopicOrPartition
            }
        }
        await consumer.close()
    }

    /// Brokers nothing listens on: the request gives up after its timeout (librdkafka alone
    /// retries forever) with `_TRANSPORT`, and ``KafkaConsumer/lastClientError`` says why,
    /// without the SASL password; closing does not wait for the brokers.
    @Test func unreachableBrokersFailAfterTheTimeoutAndTheLastClientErrorSaysWhy() async throws {
        let address = "127.0.0.1:\(try ClosedPort.loopback())"
        let password = KafkaTestSupport.unique("sasl-pw")
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: [address], groupID: KafkaTestSupport.unique("g"))
        configuration.properties["security.protocol"] = "SASL_PLAINTEXT"
        configuration.properties["sasl.mechanism"] = "PLAIN"
        configuration.properties["sasl.username"] = "relay"
        configuration.properties["sasl.password"] = password
        let consumer = try KafkaConsumer(configuration: configuration, logger: KafkaTestSupport.logger)

        let started = ContinuousClock.now
        await #expect {
            _ = try await consumer.partitions(of: "any", timeout: .seconds(1))
        } throws: { error in
            (error as? KafkaError)?.code == .transport
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        let last = try #require(consumer.lastClientError)
        #expect(last.reason.contains(address) && last.reason.contains("Connection refused"), "\(last)")
        #expect(!last.reason.contains(password))

        let closing = ContinuousClock.now
        await consumer.close()
        #expect(ContinuousClock.now - closing < .seconds(2))
    }
}
