import Foundation
import Kafka
import Synchronization
import Testing

@testable import Kafka

/// The consumer against the embedded broker over loopback TCP.
@Suite struct KafkaConsumerTests {
    typealias Support = KafkaTestSupport

    @Test(.timeLimit(.minutes(1)))
    func producesWithConfirmationsAndConsumesExactlyNInAGroup() async throws {
        let topic = Support.unique("exact")
        let cluster = try await Support.cluster(topic: topic, partitions: 3)
        let producer = try Support.producer(cluster)
        let count = 300
        let reports = try await Support.produce(producer, topic: topic, count: count)
        #expect(reports.count == count)
        #expect(Set(reports.map { "\($0.partition)/\($0.offset)" }).count == count)

        let consumer = try Support.consumer(cluster, group: Support.unique("group"))
        try await consumer.subscribe(topics: [topic])
        let messages = try await Support.readMessages(consumer, count: count)
        #expect(messages.count == count)
        #expect(Set(messages.map(\.valueString)) == Set((0..<count).map { "value-\($0)" }))
        #expect(
            Set(messages.map { "\($0.partition)/\($0.offset)" }) == Set(reports.map { "\($0.partition)/\($0.offset)" }))
        try await Support.expectNoMessage(consumer, within: .milliseconds(500))
        await consumer.close()
        await producer.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func resumesExactlyAfterTheCommitWhenRestarted() async throws {
        let topic = Support.unique("restart")
        let group = Support.unique("group")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        let producer = try Support.producer(cluster)
        try await Support.produce(producer, topic: topic, count: 20, partition: 0)
        let tp = KafkaTopicPartition(topic: topic, partition: 0)

        let first = try Support.consumer(cluster, group: group)
        try await first.subscribe(topics: [topic])
        let firstMessages = try await Support.readMessages(first, count: 7)
        #expect(firstMessages.map(\.offset) == Array(0..<7))
        try await first.commit([tp: 7])
        #expect(try await first.committed([tp]) == [tp: 7])
        await first.close()

        let second = try Support.consumer(cluster, group: group)
        try await second.subscribe(topics: [topic])
        let secondMessages = try await Support.readMessages(second, count: 13)
        #expect(secondMessages.map(\.offset) == Array(7..<20))
        let values = firstMessages.map(\.valueString) + secondMessages.map(\.valueString)
        #expect(values.count == 20 && Set(values) == Set((0..<20).map { "value-\($0)" }))
        await second.close()
        await producer.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func pauseStopsDeliveryAndResumeRestartsIt() async throws {
        let topic = Support.unique("pause")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        let producer = try Support.producer(cluster)
        let tp = KafkaTopicPartition(topic: topic, partition: 0)
        try await Support.produce(producer, topic: topic, count: 5, partition: 0, prefix: "before")

        let consumer = try Support.consumer(cluster, group: Support.unique("group"))
        try await consumer.assign([tp: KafkaOffset.beginning])
        #expect(try await Support.readMessages(consumer, count: 5).map(\.offset) == Array(0..<5))

        try await consumer.pause([tp])
        try await Support.produce(producer, topic: topic, count: 5, partition: 0, prefix: "after")
        try await Support.expectNoMessage(consumer, within: .milliseconds(1500))

        try await consumer.resume([tp])
        let resumed = try await Support.readMessages(consumer, count: 5, timeout: .seconds(10))
        #expect(resumed.map(\.offset) == Array(5..<10))
        #expect(Set(resumed.map(\.valueString)) == Set((0..<5).map { "after-\($0)" }))
        await consumer.close()
        await producer.close()
    }

    /// Every partition's end in one call, on leaders spread over brokers, as the per-partition
    /// query answers it.
    @Test(.timeLimit(.minutes(1)))
    func endOffsetsAnswerEveryPartitionsHighWatermark() async throws {
        let topic = Support.unique("ends")
        let cluster = try await Support.cluster(topic: topic, partitions: 4, brokers: 3)
        let producer = try Support.producer(cluster)
        for partition in Int32(0)..<3 {
            try await Support.produce(producer, topic: topic, count: Int(partition) * 3 + 1, partition: partition)
        }
        let consumer = try Support.consumer(cluster, group: Support.unique("group"))
        let partitions = (Int32(0)..<4).map { KafkaTopicPartition(topic: topic, partition: $0) }
        let ends = try await consumer.endOffsets(of: partitions)
        #expect(ends == [partitions[0]: 1, partitions[1]: 4, partitions[2]: 7, partitions[3]: 0])
        for partition in partitions {
            #expect(
                try await consumer.watermarks(topic: topic, partition: partition.partition).high == ends[partition])
        }
        #expect(try await consumer.endOffsets(of: []).isEmpty)
        await consumer.close()
        await producer.close()
    }

    /// The mock does not implement ListOffsets by timestamp (it answers -1), so this also
    /// exercises the binding's verification and binary-search fallback.
    @Test(.timeLimit(.minutes(1)))
    func offsetsForTimestampAndSeekLandOnTheRightRecord() async throws {
        let topic = Support.unique("times")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        let producer = try Support.producer(cluster)
        let tp = KafkaTopicPartition(topic: topic, partition: 0)
        let base: Int64 = 1_700_000_000_000
        try await Support.produceTimestamped(producer, topic: topic, count: 10, base: base)
        let consumer = try Support.consumer(cluster, group: Support.unique("group"))
        let offsets = try await consumer.offsets(forTimestamp: base + 4500, partitions: [tp])
        #expect(offsets == [tp: 5])
        let exact = try await consumer.offsets(forTimestamp: base + 3000, partitions: [tp])
        #expect(exact == [tp: 3])
        #expect(try await consumer.offsets(forTimestamp: base - 1, partitions: [tp]) == [tp: 0])
        #expect(try await consumer.offsets(forTimestamp: base + 60_000, partitions: [tp]) == [tp: KafkaOffset.end])
        #expect(try await consumer.watermarks(topic: topic, partition: 0) == KafkaWatermarks(low: 0, high: 10))

        try await consumer.assign([tp: offsets[tp] ?? 0])
        let fromTimestamp = try await Support.readMessages(consumer, count: 5)
        #expect(fromTimestamp.first?.offset == 5)
        #expect(fromTimestamp.first?.timestamp == KafkaTimestamp(milliseconds: base + 5000, kind: .createTime))
        #expect(fromTimestamp.first?.headers == [KafkaHeader(key: "index", value: Array("5".utf8))])

        try await consumer.seek(tp, to: 2)
        let afterSeek = try await Support.readMessages(consumer, count: 1)
        #expect(afterSeek.first?.offset == 2)
        #expect(afterSeek.first?.valueString == "t-2")
        await consumer.close()
        await producer.close()
    }

    /// The timestamp search reads records through a temporary consumer of the same group; it
    /// must never commit for the group, even when the configuration turns auto-commit on.
    @Test(.timeLimit(.minutes(1)))
    func offsetsForTimestampNeverCommitsForTheGroup() async throws {
        let topic = Support.unique("times-nocommit")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        let producer = try Support.producer(cluster)
        let tp = KafkaTopicPartition(topic: topic, partition: 0)
        let base: Int64 = 1_700_000_000_000
        try await Support.produceTimestamped(producer, topic: topic, count: 10, base: base, step: 1)
        var configuration = Support.consumerConfiguration(cluster, group: Support.unique("group"))
        configuration.properties["enable.auto.commit"] = "true"
        configuration.properties["enable.auto.offset.store"] = "true"
        configuration.properties["auto.commit.interval.ms"] = "100"
        let consumer = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        #expect(try await consumer.offsets(forTimestamp: base + 7, partitions: [tp]) == [tp: 7])
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await consumer.committed([tp]) == [:], "the timestamp search committed for the group")
        await consumer.close()
        await producer.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func bufferIsBoundedWhenTheReaderIsSlow() async throws {
        let topic = Support.unique("bounded")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        let producer = try Support.producer(cluster)
        let count = 2000
        try await Support.produce(producer, topic: topic, count: count, partition: 0)
        var configuration = Support.consumerConfiguration(cluster, group: Support.unique("group"))
        configuration.bufferCapacity = 64
        let consumer = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        try await consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): KafkaOffset.beginning])
        // Nobody reads: the poll thread fills the buffer to its capacity and stops there.
        let deadline = ContinuousClock.now + .seconds(10)
        while consumer.buffer.bufferedMessageCount < 64 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(consumer.buffer.bufferedMessageCount == 64)
        try await Task.sleep(for: .milliseconds(500))
        #expect(consumer.buffer.bufferedMessageCount == 64, "the poll thread kept buffering")
        let messages = try await Support.readMessages(consumer, count: count)
        #expect(messages.map(\.offset) == Array(0..<Int64(count)))
        await consumer.close()
        await producer.close()
    }
}
