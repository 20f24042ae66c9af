import Kafka
import Testing

@testable import Relay

/// The queue in front of the commit task: requests in order, one periodic commit at a time,
/// nothing accepted once closed, and what was queued still served.
@Suite struct CommitRequestsTests {
    static let partition = KafkaTopicPartition(topic: "account-created", partition: 0)

    @Test func servesInOrderCoalescesPeriodicCommitsAndAnswersEveryCaller() async {
        let requests = CommitRequests()
        requests.commitPeriodically()
        requests.commitPeriodically()  // one is queued already
        async let answer = requests.commit([Self.partition])
        // The loop: the periodic commit first, then the caller's.
        let first = await requests.next()
        #expect(first?.partitions == nil && first?.reply == nil)
        requests.served(first!)
        let second = await requests.next()
        #expect(second?.partitions == [Self.partition])
        second?.reply?.resume(returning: true)
        #expect(await answer)
        requests.commitPeriodically()  // served: a new tick queues again
        requests.close()
        #expect(await requests.next()?.reply == nil, "queued before closing: still served")
        #expect(await requests.next() == nil)
        #expect(await requests.commit(nil) == false, "closed: answered at once")
    }
}
