import Kafka
import Testing

/// librdkafka statistics are parsed, with consumer lag per partition.
@Suite struct KafkaStatisticsTests {
    typealias Support = KafkaTestSupport

    @Test func parsesPartitionLag() throws {
        let json = """
            {"name":"c#consumer-1","type":"consumer","msg_cnt":0,"txmsgs":0,"rxmsgs":12,
             "topics":{"t":{"partitions":{"0":{"consumer_lag":6,"hi_offset":10,"lo_offset":2,"ls_offset":9,
             "committed_offset":4,"msgq_cnt":0,"xmit_msgq_cnt":0},"-1":{"consumer_lag":-1,"hi_offset":-1,
             "committed_offset":-1001}}}}}
            """
        let statistics = try #require(KafkaStatistics(json: Array(json.utf8)))
        #expect(statistics.clientType == "consumer")
        #expect(statistics.receivedMessages == 12)
        #expect(statistics.idempotentState == nil)
        #expect(statistics.partitions.count == 1)
        let partition = try #require(statistics.partitions[KafkaTopicPartition(topic: "t", partition: 0)])
        #expect(partition.consumerLag == 6)
        #expect(partition.highWatermark == 10)
        #expect(partition.lowWatermark == 2)
        #expect(partition.lastStableOffset == 9)
        #expect(partition.committedOffset == 4)
        #expect(KafkaStatistics(json: Array("not json".utf8)) == nil)
    }

    @Test func parsesTheIdempotentProducerState() throws {
        let json = #"{"name":"p#producer-1","type":"producer","eos":{"idemp_state":"Assigned","producer_id":7}}"#
        let statistics = try #require(KafkaStatistics(json: Array(json.utf8)))
        #expect(statistics.idempotentState == "Assigned")
        #expect(statistics.producerID == 7)
        let waiting = #"{"type":"producer","eos":{"idemp_state":"WaitPID","producer_id":-1}}"#
        #expect(try #require(KafkaStatistics(json: Array(waiting.utf8))).producerID == nil)
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

    /// A member that joins a group reports the group's committed offset (fetched when the
    /// partition was assigned, before it read or committed anything) and both watermarks: what
    /// the relay's `relay_consumer_lag` is computed from.
    @Test(.timeLimit(.minutes(1)))
    func groupMemberReportsTheGroupsCommittedOffsetAndWatermarks() async throws {
        let topic = Support.unique("stats")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        let producer = try Support.producer(cluster)
        try await Support.produce(producer, topic: topic, count: 10, partition: 0)
        let group = Support.unique("group")
        let tp = KafkaTopicPartition(topic: topic, partition: 0)
        let earlier = try Support.consumer(cluster, group: group)
        try await earlier.commit([tp: 4])
        await earlier.close()
        var configuration = Support.consumerConfiguration(cluster, group: group)
        configuration.statisticsInterval = .seconds(1)
        let consumer = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        try await consumer.subscribe(topics: [topic])
        var seen: KafkaStatistics.Partition?
        let deadline = ContinuousClock.now + .seconds(20)
        for await statistics in consumer.statistics {
            seen = statistics.partitions[tp]
            if seen?.highWatermark == 10 || ContinuousClock.now > deadline { break }
        }
        #expect(seen?.committedOffset == 4)
        #expect(seen?.highWatermark == 10)
        #expect(seen?.lastStableOffset == 10)
        #expect(seen?.lowWatermark == 0)
        await consumer.close()
        await producer.close()
    }

    /// An idempotent producer is granted its producer id without sending anything, which
    /// `referral-relay check` relies on to prove it may write without writing.
    @Test(.timeLimit(.minutes(1)))
    func idempotentProducerIsGrantedAProducerIDBeforeSendingAnything() async throws {
        let cluster = try await Support.cluster(topic: Support.unique("stats"), partitions: 1)
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.statisticsInterval = .seconds(1)
        let producer = try KafkaProducer(configuration: configuration, logger: Support.logger)
        var state: String?
        var producerID: Int64?
        let deadline = ContinuousClock.now + .seconds(15)
        for await statistics in producer.statistics {
            (state, producerID) = (statistics.idempotentState, statistics.producerID)
            if state == "Assigned" || ContinuousClock.now > deadline { break }
        }
        #expect(state == "Assigned")
        #expect(producerID != nil)
        await producer.close()
    }
}
