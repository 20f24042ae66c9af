import Kafka
import Testing

/// ``KafkaConsumer/partitions(of:timeout:)`` against the embedded broker.
@Suite struct KafkaConsumerMetadataTests {
    typealias Support = KafkaTestSupport

    @Test(.timeLimit(.minutes(1)))
    func listsEveryPartitionOfATopicAndRefusesAMissingOne() async throws {
        let topic = Support.unique("meta")
        let cluster = try await Support.cluster(topic: topic, partitions: 5)
        let consumer = try Support.consumer(cluster, group: Support.unique("group"))
        let partitions = try await consumer.partitions(of: topic)
        #expect(partitions == (0..<5).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) })
        let missing = Support.unique("missing")
        await #expect(throws: KafkaError.self) { try await consumer.partitions(of: missing) }
        // The lookup did not create it.
        await #expect(throws: KafkaError.self) { try await consumer.partitions(of: missing) }
        await consumer.close()
    }
}
