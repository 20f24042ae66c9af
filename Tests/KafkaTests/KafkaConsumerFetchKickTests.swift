import Kafka
import Testing

@testable import Kafka

/// A partition the reader drained below `queued.min.messages` is fetched again at once, not at
/// librdkafka's next wake-up (`RDKafkaFetchKick`): with small fetches each refill stopped the
/// partition, and every stop cost up to a second of idle reading.
@Suite struct KafkaConsumerFetchKickTests {
    typealias Support = KafkaTestSupport

    @Test(.timeLimit(.minutes(2)))
    func aPartitionDrainedBelowThePrefetchLimitIsFetchedAgainAtOnce() async throws {
        let perPartition = 1_500
        let topic = Support.unique("kick")
        let cluster = try await Support.cluster(topic: topic, partitions: 2)
        // Batches of ten records: the broker answers a fetch with whole batches, so small
        // batches make small fetches, and every refill of a partition reaches the limit.
        var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        producerConfiguration.properties["batch.num.messages"] = "10"
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: Support.logger)
        for partition in Int32(0)..<2 {
            try await Support.produce(producer, topic: topic, count: perPartition, partition: partition)
        }
        await producer.close()
        let partitions = (Int32(0)..<2).map { KafkaTopicPartition(topic: topic, partition: $0) }
        var configuration = Support.consumerConfiguration(cluster, group: Support.unique("group"))
        configuration.prefetchRecordsPerPartition = 50
        configuration.bufferCapacity = 16
        configuration.properties["max.partition.fetch.bytes"] = "1024"
        let consumer = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        try await consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.beginning) }))
        let started = ContinuousClock.now
        let messages = try await Support.readMessages(consumer, count: 2 * perPartition, timeout: .seconds(90))
        let elapsed = ContinuousClock.now - started
        for partition in Int32(0)..<2 {
            #expect(messages.filter { $0.partition == partition }.map(\.offset) == Array(0..<Int64(perPartition)))
        }
        #expect(consumer.fetchKicks > 0)
        // 0.6 s here with the kick, 19 s without it (each of some hundred refills waited for
        // librdkafka's own wake-up); far from both, so load cannot flip it.
        #expect(elapsed < .seconds(10), "\(elapsed) for \(2 * perPartition) records")
        await consumer.close()
    }
}
