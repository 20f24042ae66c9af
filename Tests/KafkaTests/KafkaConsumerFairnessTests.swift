import Kafka
import Testing

@testable import Kafka

/// A backlog spread over several partitions is read side by side: the relay's cold start and
/// every replay depend on it (a `qualified` waits for a `registered` from another partition,
/// and a partition read only after the others would make it wait for minutes).
@Suite struct KafkaConsumerFairnessTests {
    typealias Support = KafkaTestSupport

    /// A cluster whose topic holds `perPartition` records on each of `partitions` partitions.
    static func backlog(
        _ prefix: String,
        partitions: Int32,
        perPartition: Int
    ) async throws -> (cluster: MockCluster, partitions: [KafkaTopicPartition]) {
        let topic = Support.unique(prefix)
        let cluster = try await Support.cluster(topic: topic, partitions: Int(partitions))
        let producer = try Support.producer(cluster)
        for partition in Int32(0)..<partitions {
            try await Support.produce(producer, topic: topic, count: perPartition, partition: partition)
        }
        await producer.close()
        return (cluster, (Int32(0)..<partitions).map { KafkaTopicPartition(topic: topic, partition: $0) })
    }

    @Test(.timeLimit(.minutes(2)))
    func aBacklogOnSeveralPartitionsIsReadSideBySide() async throws {
        let perPartition = 4_000
        let (cluster, partitions) = try await Self.backlog("fair", partitions: 3, perPartition: perPartition)
        let consumer = try Support.consumer(cluster, group: Support.unique("group"))
        try await consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.beginning) }))
        // Once the first fetches are in (a partition may arrive a little before the others),
        // the backlog comes from every partition in about equal parts. Unsplit, librdkafka's
        // one consumer queue holds each partition's fetch whole, one after the other.
        let first = try await Support.readMessages(consumer, count: 1_200, timeout: .seconds(45))
        let next = try await Support.readMessages(consumer, count: 1_200, timeout: .seconds(45))
        for partition in Int32(0)..<3 {
            let share = next.filter { $0.partition == partition }.count
            #expect(share >= 250, "partition \(partition) had \(share) of records 1,200-2,400")
        }
        // Nothing lost, nothing repeated, each partition in order.
        // A generous deadline: a full test run on two cores reads this debug build slowly.
        let rest = try await Support.readMessages(consumer, count: 3 * perPartition - 2_400, timeout: .seconds(45))
        for partition in Int32(0)..<3 {
            let offsets = (first + next + rest).filter { $0.partition == partition }.map(\.offset)
            #expect(offsets == Array(0..<Int64(perPartition)))
        }
        await consumer.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func holdingAndReleasingPartitionsNeverRepeatsOrSkipsARecord() async throws {
        let perPartition = 3_000
        let (cluster, partitions) = try await Self.backlog("hold", partitions: 2, perPartition: perPartition)
        var configuration = Support.consumerConfiguration(cluster, group: Support.unique("group"))
        configuration.bufferCapacity = 32
        let consumer = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        try await consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.beginning) }))
        var seen: [Int32: [Int64]] = [:]
        var held = false
        for round in 0..<(2 * perPartition) {
            // Hold and release one partition every few records, as the relay's flow control does.
            if round % 7 == 0 {
                if held {
                    try await consumer.resume([partitions[0]])
                } else {
                    try await consumer.pause([partitions[0]])
                }
                held.toggle()
            }
            if held, seen[1, default: []].count == perPartition {
                try await consumer.resume([partitions[0]])
                held = false
            }
            let message = try #require(try await Support.readMessages(consumer, count: 1).first)
            seen[message.partition, default: []].append(message.offset)
        }
        for partition in Int32(0)..<2 {
            #expect(seen[partition] == Array(0..<Int64(perPartition)), "partition \(partition) repeated or skipped")
        }
        await consumer.close()
    }
}
