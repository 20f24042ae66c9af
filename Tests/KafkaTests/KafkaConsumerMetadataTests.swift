import Kafka
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
}
