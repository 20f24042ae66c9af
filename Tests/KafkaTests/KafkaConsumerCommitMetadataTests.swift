import Kafka
import Testing

/// Commit metadata travels to the embedded broker and back with the offset: the relay keeps
/// the offsets it settled beyond the committed one there, so a restart does not redo them.
@Suite(.timeLimit(.minutes(1)))
struct KafkaConsumerCommitMetadataTests {
    typealias Support = KafkaTestSupport

    @Test func metadataIsStoredWithTheOffsetAndReadBack() async throws {
        let topic = Support.unique("commit-metadata")
        let cluster = try await Support.cluster(topic: topic, partitions: 2)
        let group = Support.unique("group")
        let p0 = KafkaTopicPartition(topic: topic, partition: 0)
        let p1 = KafkaTopicPartition(topic: topic, partition: 1)
        let consumer = try Support.consumer(cluster, group: group)
        try await consumer.assign([p0: KafkaOffset.beginning, p1: KafkaOffset.beginning])
        try await consumer.commit([p0: 7, p1: 3], metadata: [p0: "rr1:2,5-9"])
        let reader = try Support.consumer(cluster, group: group)
        let committed = try await reader.committedWithMetadata([p0, p1])
        #expect(committed[p0] == KafkaCommittedOffset(offset: 7, metadata: "rr1:2,5-9"))
        #expect(committed[p1]?.offset == 3)
        #expect(committed[p1]?.metadata == nil)
        // A later commit without metadata clears it.
        try await consumer.commit([p0: 8])
        #expect(try await reader.committedWithMetadata([p0])[p0] == KafkaCommittedOffset(offset: 8, metadata: nil))
        await consumer.close()
        await reader.close()
    }
}
