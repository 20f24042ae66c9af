import Kafka
import Testing

/// The producer against the embedded broker, including broker failures.
@Suite struct KafkaProducerTests {
    typealias Support = KafkaTestSupport

    @Test(.timeLimit(.minutes(1)))
    func brokerDownAndUpLosesNoConfirmedRecord() async throws {
        let topic = Support.unique("down-up")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.properties["reconnect.backoff.max.ms"] = "500"
        let producer = try KafkaProducer(configuration: configuration, logger: Support.logger)
        try await Support.produce(producer, topic: topic, count: 10, partition: 0, prefix: "up")

        try await cluster.setBrokerDown(1)
        let whileDown = Task {
            try await Support.produce(producer, topic: topic, count: 10, partition: 0, prefix: "down")
        }
        try await Task.sleep(for: .seconds(1))
        try await cluster.setBrokerUp(1)
        let reports = try await whileDown.value
        #expect(reports.count == 10)

        let consumer = try Support.consumer(cluster, group: Support.unique("group"))
        try await consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): KafkaOffset.beginning])
        let messages = try await Support.readMessages(consumer, count: 20)
        let values = Set(messages.map(\.valueString))
        #expect(values == Set((0..<10).map { "up-\($0)" } + (0..<10).map { "down-\($0)" }))
        #expect(messages.map(\.offset) == Array(0..<20), "idempotence: no duplicates or gaps")
        try await Support.expectNoMessage(consumer, within: .milliseconds(300))
        await consumer.close()
        await producer.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func preparingTopicsPreparesTheExistingOnesAndCreatesNone() async throws {
        let topic = Support.unique("prepared")
        let missing = Support.unique("missing")
        let cluster = try await Support.cluster(topic: topic, partitions: 2)
        let producer = try Support.producer(cluster)
        #expect(try await producer.prepare(topics: [topic, missing]) == [topic])
        await #expect {
            _ = try await producer.partitions(of: missing)
        } throws: { error in
            (error as? KafkaError)?.code == .unknownTopicOrPartition
        }
        // Prepared again (a handle already exists) and written to.
        #expect(try await producer.prepare(topics: [topic]) == [topic])
        let report = try await producer.send(KafkaProducerRecord(topic: topic, partition: 1, value: [1]))
        #expect(report.partition == 1)
        await producer.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func sendToAnUnknownPartitionFailsWithACode() async throws {
        let topic = Support.unique("unknown-partition")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.deliveryTimeout = .seconds(3)
        let producer = try KafkaProducer(configuration: configuration, logger: Support.logger)
        await #expect {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: 7, value: [1]))
        } throws: { error in
            (error as? KafkaError)?.code == .unknownPartition
        }
        #expect(producer.fatalError == nil)
        await producer.close()
        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, value: [1]))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func flushWaitsForQueuedRecords() async throws {
        let topic = Support.unique("flush")
        let cluster = try await Support.cluster(topic: topic, partitions: 2)
        let producer = try Support.producer(cluster)
        let sends = Task { try await Support.produce(producer, topic: topic, count: 500) }
        try await Task.sleep(for: .milliseconds(50))
        try await producer.flush(timeout: .seconds(10))
        #expect(try await sends.value.count == 500)
        await producer.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func aFullQueueBacksOffAndDropsNothing() async throws {
        let topic = Support.unique("queue-full")
        let cluster = try await Support.cluster(topic: topic, partitions: 2)
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.properties["queue.buffering.max.messages"] = "10"
        configuration.queueFullBackoff = .milliseconds(2)
        let producer = try KafkaProducer(configuration: configuration, logger: Support.logger)
        let reports = try await Support.produce(producer, topic: topic, count: 300)
        #expect(reports.count == 300)
        #expect(Set(reports.map { "\($0.partition)/\($0.offset)" }).count == 300)
        await producer.close()
    }
}
