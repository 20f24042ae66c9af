import Kafka
import Testing

@testable import Kafka

/// Fatal errors raised by librdkafka are detected and surfaced with `isFatal`.
@Suite struct KafkaFatalErrorTests {
    typealias Support = KafkaTestSupport

    @Test(.timeLimit(.minutes(1)))
    func producerSurfacesAFatalError() async throws {
        let topic = Support.unique("fatal")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        let producer = try Support.producer(cluster)
        _ = try await producer.send(KafkaProducerRecord(topic: topic, value: [1]))
        #expect(producer.fatalError == nil)

        producer.raiseFatalErrorForTesting(KafkaError.Code(rawValue: 45))  // OUT_OF_ORDER_SEQUENCE_NUMBER
        let deadline = ContinuousClock.now + .seconds(5)
        while producer.fatalError == nil && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let fatal = try #require(producer.fatalError)
        #expect(fatal.isFatal)
        #expect(fatal.code.rawValue == 45)
        await #expect {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, value: [2]))
        } throws: { error in
            (error as? KafkaError)?.isFatal == true
        }
        await producer.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func consumerEventsEndWithTheFatalError() async throws {
        let topic = Support.unique("fatal-consumer")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        let consumer = try Support.consumer(cluster, group: Support.unique("group"))
        try await consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): KafkaOffset.beginning])
        consumer.raiseFatalErrorForTesting(KafkaError.Code(rawValue: 82))  // FENCED_INSTANCE_ID
        await #expect {
            for try await _ in consumer.events {}
        } throws: { error in
            (error as? KafkaError)?.isFatal == true
        }
        #expect(consumer.fatalError?.isFatal == true)
        await consumer.close()
    }
}
