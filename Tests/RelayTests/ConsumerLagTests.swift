import Kafka
import Testing

@testable import Relay

/// `relay_consumer_lag` from a librdkafka statistics report: end (last stable offset, or the high
/// watermark when reading uncommitted) minus the group's committed offset, or minus the low
/// watermark when the group has committed nothing; only partitions this member owns.
@Suite struct ConsumerLagTests {
    /// A report shaped like librdkafka 2.0.2's (fields trimmed): partition 0 committed, 1 never
    /// committed (-1001) with records trimmed below offset 40, 2 inside an open transaction
    /// (last stable offset behind the high watermark), 3 not fetched yet (watermarks unknown), 4
    /// known from the subscription but owned by another member.
    static let sample = """
        {"name":"referral-relay#consumer-1","type":"consumer","ts":1,"time":1,"msg_cnt":0,
         "topics":{"account-created":{"topic":"account-created","partitions":{
           "0":{"partition":0,"fetch_state":"active","committed_offset":120,"lo_offset":0,"hi_offset":150,
                "ls_offset":150,"consumer_lag":30},
           "1":{"partition":1,"fetch_state":"active","committed_offset":-1001,"lo_offset":40,"hi_offset":100,
                "ls_offset":100,"consumer_lag":-1},
           "2":{"partition":2,"fetch_state":"active","committed_offset":10,"lo_offset":0,"hi_offset":25,
                "ls_offset":18,"consumer_lag":8},
           "3":{"partition":3,"fetch_state":"offset-query","committed_offset":-1001,"lo_offset":-1001,
                "hi_offset":-1001,"ls_offset":-1001,"consumer_lag":-1},
           "4":{"partition":4,"fetch_state":"none","committed_offset":7,"lo_offset":0,"hi_offset":9,
                "ls_offset":9,"consumer_lag":2},
           "-1":{"partition":-1,"fetch_state":"none","committed_offset":-1001,"lo_offset":-1001,
                 "hi_offset":-1001,"ls_offset":-1001,"consumer_lag":-1}}},
          "milestone-reached":{"topic":"milestone-reached","partitions":{
           "0":{"partition":0,"fetch_state":"active","committed_offset":64,"lo_offset":0,"hi_offset":64,
                "ls_offset":64,"consumer_lag":0}}}}}
        """

    static func partition(_ topic: String, _ number: Int32) -> KafkaTopicPartition {
        KafkaTopicPartition(topic: topic, partition: number)
    }

    static let assigned: Set<KafkaTopicPartition> = [
        partition("account-created", 0), partition("account-created", 1), partition("account-created", 2),
        partition("account-created", 3), partition("milestone-reached", 0),
    ]

    @Test func lagIsTheEndMinusTheCommittedOffsetOfEachAssignedPartition() throws {
        let statistics = try #require(KafkaStatistics(json: Array(Self.sample.utf8)))
        let lags = ConsumerLag.lags(in: statistics, assigned: Self.assigned, readCommitted: true)
        #expect(
            lags == [
                Self.partition("account-created", 0): 30,
                // Nothing committed: everything still in the log (100 - 40) is lag.
                Self.partition("account-created", 1): 60,
                // read_committed ends at the last stable offset (18), not the high watermark (25).
                Self.partition("account-created", 2): 8,
                Self.partition("milestone-reached", 0): 0,
            ])
        // Partition 3's end is unknown yet; partition 4 belongs to another member.
        #expect(lags[Self.partition("account-created", 3)] == nil)
        #expect(lags[Self.partition("account-created", 4)] == nil)
    }

    @Test func readUncommittedEndsAtTheHighWatermark() throws {
        let statistics = try #require(KafkaStatistics(json: Array(Self.sample.utf8)))
        let lags = ConsumerLag.lags(in: statistics, assigned: Self.assigned, readCommitted: false)
        #expect(lags[Self.partition("account-created", 2)] == 15)
        #expect(lags[Self.partition("account-created", 0)] == 30)
    }

    @Test func lagIsNeverNegativeAndNeedsBothEnds() {
        // A commit seen before the watermarks caught up (both are sampled at different times).
        #expect(
            ConsumerLag.of(.init(highWatermark: 10, lastStableOffset: 10, committedOffset: 12), readCommitted: true)
                == 0)
        #expect(ConsumerLag.of(.init(highWatermark: 10, committedOffset: 4), readCommitted: true) == 6)
        #expect(ConsumerLag.of(.init(committedOffset: 4), readCommitted: true) == nil)
        #expect(ConsumerLag.of(.init(highWatermark: 10), readCommitted: false) == nil)
    }

    @Test func isolationLevelComesFromThePassthroughProperties() {
        #expect(ConsumerLag.readsCommitted(properties: [:]))
        #expect(ConsumerLag.readsCommitted(properties: ["isolation.level": "read_committed"]))
        #expect(!ConsumerLag.readsCommitted(properties: ["isolation.level": "read_uncommitted"]))
    }
}
