import Kafka
import Synchronization
import Testing

@testable import Kafka

/// Caller pauses and back-pressure pauses: as plain values, then against the embedded broker.
@Suite struct KafkaConsumerFetchControlTests {
    typealias Support = KafkaTestSupport
    typealias State = KafkaConsumerFetchControl.State

    static func tp(_ partition: Int32) -> KafkaTopicPartition { KafkaTopicPartition(topic: "t", partition: partition) }

    @Test func backPressureLeavesCallerPausesAlone() {
        var state = State()
        #expect(state.assigned([Self.tp(0), Self.tp(1), Self.tp(2)], replacing: true) == .init())
        #expect(state.callerPause([Self.tp(1)]) == .init(pause: [Self.tp(1)]))
        #expect(state.beginBackPressure() == .init(pause: [Self.tp(0), Self.tp(2)]))
        #expect(state.beginBackPressure() == .init())
        // Assigned during back-pressure: paused at once.
        #expect(state.assigned([Self.tp(3)], replacing: false) == .init(pause: [Self.tp(3)]))
        // The caller's resume waits for the end of back-pressure; a new caller pause sticks.
        #expect(state.callerResume([Self.tp(1)]) == .init())
        #expect(state.callerPause([Self.tp(2)]) == .init(pause: [Self.tp(2)]))
        // Revoked while paused for back-pressure: resumed after the unassign.
        #expect(state.unassigned([Self.tp(0)]) == .init(resume: [Self.tp(0)]))
        #expect(state.endBackPressure() == .init(resume: [Self.tp(1), Self.tp(3)]))
        #expect(state.endBackPressure() == .init())
        #expect(state.callerPaused == [Self.tp(2)])
        #expect(state.callerResume([Self.tp(2)]) == .init(resume: [Self.tp(2)]))
    }

    /// librdkafka 2.0.2 restarts a fetching partition from its committed offset when asked to
    /// resume it, so a resume of a partition nobody paused must not reach librdkafka.
    @Test func resumingAPartitionNobodyPausedAsksLibrdkafkaNothing() {
        var state = State()
        _ = state.assigned([Self.tp(0), Self.tp(1)], replacing: true)
        #expect(state.callerResume([Self.tp(0), Self.tp(1)]) == .init())
        _ = state.callerPause([Self.tp(1)])
        #expect(state.callerResume([Self.tp(0), Self.tp(1)]) == .init(resume: [Self.tp(1)]))
        #expect(state.callerResume([Self.tp(1)]) == .init())
    }

    @Test func aReplacingAssignmentResumesWhatLeftWhilePaused() {
        var state = State()
        _ = state.assigned([Self.tp(0), Self.tp(1)], replacing: true)
        _ = state.beginBackPressure()
        let action = state.assigned([Self.tp(1), Self.tp(2)], replacing: true)
        #expect(action == .init(pause: [Self.tp(2)], resume: [Self.tp(0)]))
        #expect(state.endBackPressure() == .init(resume: [Self.tp(1), Self.tp(2)]))
    }

    /// With nobody reading, the buffer fills and back-pressure pauses fetching while the poll
    /// thread keeps polling (statistics, served by `rd_kafka_consumer_poll`, keep coming). A
    /// partition the caller paused stays paused when back-pressure ends, and a caller's resume
    /// during back-pressure waits for its end; every record arrives once, in order.
    @Test(.timeLimit(.minutes(1)))
    func aCallerPausedPartitionStaysPausedAcrossBackPressure() async throws {
        let topic = Support.unique("bp-pause")
        let cluster = try await Support.cluster(topic: topic, partitions: 3)
        let producer = try Support.producer(cluster)
        let (p0, p1, p2) = (
            KafkaTopicPartition(topic: topic, partition: 0), KafkaTopicPartition(topic: topic, partition: 1),
            KafkaTopicPartition(topic: topic, partition: 2)
        )
        for partition: Int32 in [0, 2] {
            for index in 0..<40 {
                _ = try await producer.send(
                    KafkaProducerRecord(topic: topic, partition: partition, key: nil, value: Array("v-\(index)".utf8)))
            }
        }
        var configuration = Support.consumerConfiguration(cluster, group: Support.unique("group"))
        configuration.bufferCapacity = 8
        configuration.statisticsInterval = .milliseconds(100)
        let consumer = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        let statistics = Atomic<Int>(0)
        let counter = Task {
            for await _ in consumer.statistics { statistics.add(1, ordering: .relaxed) }
        }
        try await consumer.assign([p0: KafkaOffset.beginning, p1: KafkaOffset.beginning, p2: KafkaOffset.beginning])
        try await consumer.pause([p1])
        try await Support.produce(producer, topic: topic, count: 10, partition: 1)

        // Nobody reads: the buffer fills, then the poll thread holds fetching but keeps polling.
        let deadline = ContinuousClock.now + .seconds(10)
        while consumer.buffer.bufferedMessageCount < 8 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(300))
        let before = statistics.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(1000))
        #expect(statistics.load(ordering: .relaxed) - before >= 5, "the poll thread stopped polling")
        #expect(consumer.buffer.bufferedMessageCount == 8)
        #expect(consumer.fetchControl.backPressurePaused == [p0, p2])
        // p2 is paused by the caller during back-pressure (stays paused after it); p1 is resumed
        // by the caller, but stays paused until back-pressure ends.
        try await consumer.pause([p2])
        try await consumer.resume([p1])
        try await consumer.pause([p1])
        try await consumer.resume([p1])
        #expect(consumer.fetchControl.backPressurePaused == [p0, p1])

        // Read everything of p0 (ending back-pressure) and p1; p2 stops where it was paused.
        var offsets: [KafkaTopicPartition: [Int64]] = [:]
        let readDeadline = ContinuousClock.now + .seconds(20)
        while offsets[p0, default: []].count < 40 || offsets[p1, default: []].count < 10,
            ContinuousClock.now < readDeadline
        {
            for message in try await Support.readMessages(consumer, count: 1) {
                offsets[message.topicPartition, default: []].append(message.offset)
            }
        }
        #expect(offsets[p0] == Array(0..<40))
        #expect(offsets[p1] == Array(0..<10))
        let p2Read = offsets[p2] ?? []
        #expect(p2Read == Array(0..<Int64(p2Read.count)))
        try await Support.expectNoMessage(consumer, within: .milliseconds(1500))
        #expect(consumer.buffer.peakBufferedMessageCount <= 8, "the buffer went past its bound")

        try await consumer.resume([p2])
        let rest = try await Support.readMessages(consumer, count: 40 - p2Read.count, timeout: .seconds(10))
        #expect(rest.allSatisfy { $0.topicPartition == p2 })
        #expect(p2Read + rest.map(\.offset) == Array(0..<40))
        try await Support.expectNoMessage(consumer, within: .milliseconds(300))
        await consumer.close()
        counter.cancel()
        await producer.close()
    }
}
