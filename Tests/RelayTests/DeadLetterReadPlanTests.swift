import Kafka
import Relay
import Testing

/// Where a `dlq` command starts in each partition, with plain offsets.
@Suite struct DeadLetterReadPlanTests {
    @Test func aCommitWinsThenFromThenTheBeginning() {
        #expect(DeadLetterReadPlan.start(low: 5, high: 20, committed: 12, fromOffset: 8) == 12)
        #expect(DeadLetterReadPlan.start(low: 5, high: 20, committed: nil, fromOffset: 8) == 8)
        #expect(DeadLetterReadPlan.start(low: 5, high: 20, committed: nil, fromOffset: nil) == 5)
        // No record at or after --from: nothing to read.
        #expect(DeadLetterReadPlan.start(low: 5, high: 20, committed: nil, fromOffset: KafkaOffset.end) == 20)
    }

    @Test func startsInsideTheLog() {
        // Retention trimmed past the commit; a commit beyond the captured end reads nothing.
        #expect(DeadLetterReadPlan.start(low: 50, high: 60, committed: 12, fromOffset: nil) == 50)
        #expect(DeadLetterReadPlan.start(low: 0, high: 60, committed: 70, fromOffset: nil) == 60)
    }

    @Test func emptyRangesAreDropped() {
        let a = KafkaTopicPartition(topic: "dlq", partition: 0)
        let b = KafkaTopicPartition(topic: "dlq", partition: 1)
        let plan = DeadLetterReadPlan(ranges: [a: 3..<3, b: 2..<7])
        #expect(plan.ranges == [b: 2..<7])
        #expect(plan.recordCount == 5)
    }
}
