import Kafka
import Logging
import ServiceLifecycle
import Testing

/// Consumer and producer run as swift-service-lifecycle services and close on graceful shutdown.
@Suite struct KafkaServiceTests {
    typealias Support = KafkaTestSupport

    @Test(.timeLimit(.minutes(1)))
    func gracefulShutdownClosesBothClients() async throws {
        let topic = Support.unique("service")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        let producer = try Support.producer(cluster)
        let consumer = try Support.consumer(cluster, group: Support.unique("group"))
        try await consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): KafkaOffset.beginning])
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: consumer), .init(service: producer)], logger: Support.logger)
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            _ = try await producer.send(KafkaProducerRecord(topic: topic, value: Array("x".utf8)))
            #expect(try await Support.readMessages(consumer, count: 1).first?.valueString == "x")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, value: [1]))
        }
        // The events sequence has ended.
        var iterator = consumer.events.makeAsyncIterator()
        #expect(try await iterator.next() == nil)
    }
}
