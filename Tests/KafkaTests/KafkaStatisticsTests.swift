import Kafka
import Testing

/// librdkafka statistics are parsed, with consumer lag per partition.
@Suite struct KafkaStatisticsTests {
    typealias Support = KafkaTestSupport

    @Test func parsesPartitionLag() throws {
        let json = """
            {"name":"c#consumer-1","type":"consumer","msg_cnt":0,"txmsgs":0,"rxmsgs":12,
             "topics":{"t":{"partitions":{"0":{"consumer_lag":6,"hi_offset":10,"committed_offset":4,
             "msgq_cnt":0,"xmit_msgq_cnt":0},"-1":{"consumer_lag":-1,"hi_offset":-1,"committed_offset":-1001}}}}}
            """
        let statistics = try #require(KafkaStatistics(json: Array(json.utf8)))
        #expect(statistics.clientType == "consumer")
        #expect(statistics.receivedMessages == 12)
        #expect(statistics.partitions.count == 1)
        let partition = try #require(statistics.partitions[KafkaTopicPartition(topic: "t", partition: 0)])
        #expect(partition.consumerLag == 6)
        #expect(partition.highWatermark == 10)
        #expect(partition.committedOffset == 4)
        #expect(KafkaStatistics(json: Array("not json".utf8)) == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func consumerPublishesLagAfterACommit() async throws {
        let topic = Support.unique("stats")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        let producer = try Support.producer(cluster)
        try await Support.produce(producer, topic: topic, count: 10, partition: 0)
        var configuration = Support.consumerConfiguration(cluster, group: Support.unique("group"))
        configuration.statisticsInterval = .milliseconds(200)
        let consumer = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        let tp = KafkaTopicPartition(topic: topic, partition: 0)
        try await consumer.assign([tp: KafkaOffset.beginning])
        _ = try await Support.readMessages(consumer, count: 10)
        try await consumer.commit([tp: 4])
        var lag: Int64?
        let deadline = ContinuousClock.now + .seconds(10)
        for await statistics in consumer.statistics {
            lag = statistics.partitions[tp]?.consumerLag
            if lag == 6 || ContinuousClock.now > deadline { break }
        }
        #expect(lag == 6)
        await consumer.close()
        await producer.close()
    }
}
