import Kafka
import Synchronization
import Testing

@testable import Kafka

/// Nothing blocking runs on the cooperative pool: the module's blocking calls run on its own
/// threads (and assert it), and pool tasks keep making progress while clients work.
@Suite struct ThreadingTests {
    typealias Support = KafkaTestSupport

    @Test func moduleThreadsAreMarkedAndThePoolIsNot() async throws {
        #expect(!Kafka.isOnModuleThread)
        let thread = KafkaThread(name: "test-worker")
        #expect(try await thread.run { Kafka.isOnModuleThread })
        thread.stop()
    }

    @Test func blockingWrapperTrapsOffTheModuleThreads() async {
        await #expect(processExitsWith: .failure) {
            KafkaThread.preconditionOnModuleThread()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func poolKeepsProgressingWhileTwoConsumersAndAProducerRun() async throws {
        let topic = Support.unique("pool")
        let cluster = try await Support.cluster(topic: topic, partitions: 2)
        let producer = try Support.producer(cluster)
        let consumers = try (0..<2).map { _ in try Support.consumer(cluster, group: Support.unique("group")) }
        for (index, consumer) in consumers.enumerated() {
            try await consumer.assign([
                KafkaTopicPartition(topic: topic, partition: Int32(index)): KafkaOffset.beginning
            ])
        }
        let count = 1000
        let stop = Atomic<Bool>(false)
        // The ticker runs on the cooperative pool (2 threads here); blocked pool threads
        // would show up as long gaps between its 5 ms sleeps.
        let ticker = Task { () -> Duration in
            var worst = Duration.zero
            var last = ContinuousClock.now
            while !stop.load(ordering: .relaxed) {
                try? await Task.sleep(for: .milliseconds(5))
                let now = ContinuousClock.now
                worst = max(worst, now - last)
                last = now
            }
            return worst
        }
        async let sent0 = Support.produce(producer, topic: topic, count: count / 2, partition: 0)
        async let sent1 = Support.produce(producer, topic: topic, count: count / 2, partition: 1)
        async let first = Support.readMessages(consumers[0], count: count / 2)
        async let second = Support.readMessages(consumers[1], count: count / 2)
        let (reports0, reports1, a, b) = try await (sent0, sent1, first, second)
        let reports = reports0 + reports1
        // Idle consumers block in rd_kafka_consumer_poll on their own threads meanwhile.
        try await Task.sleep(for: .milliseconds(500))
        stop.store(true, ordering: .relaxed)
        let worstGap = await ticker.value
        #expect(reports.count == count)
        #expect(a.count + b.count == count)
        // A pool blocked by the consumers' polls would stall for the whole exchange (seconds);
        // 1.5 s leaves room for CPU starvation when the other suites run beside this one on 2 cores.
        #expect(worstGap < .milliseconds(1500), "a cooperative-pool task stalled for \(worstGap)")
        for consumer in consumers { await consumer.close() }
        await producer.close()
    }
}
