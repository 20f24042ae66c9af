import Kafka
import Testing

@testable import Relay

/// What the relay's ledger does with a record the consumer delivers a second time (the repeat
/// `KafkaConsumerRedeliveryTests` reproduced with librdkafka 2.0.2 pauses, which librdkafka may
/// still do on its own during rebalances): it refuses it. The ledger used to take the repeat for
/// a rewind and start a new epoch at that offset; the record was then processed twice (the
/// second MMOLove answer `duplicate`, the demo's symptom), and the earlier records of the
/// partition still in flight dropped out of the ledger, so the commit moved past them before
/// they settled and a crash at that moment would have lost them. This test failed then.
@Suite struct OffsetLedgerRedeliveryTests {
    let partition = KafkaTopicPartition(topic: "account-created", partition: 0)

    @Test func aRepeatedLastRecordDoesNotLetTheCommitPassAnUnsettledRecord() {
        var ledger = OffsetLedger()
        let tickets = (0...2).map { ledger.readTicket(self.partition, offset: $0) }
        ledger.settle(tickets[0])
        ledger.settle(tickets[2])
        #expect(ledger.pendingCommits()[self.partition]?.offset == 1, "offset 1 is still in flight")

        // The consumer delivers offset 2 again (a pause raced the poll): refused, nothing to redo.
        #expect(ledger.read(self.partition, offset: 2) == nil)
        let commit = ledger.pendingCommits()[self.partition]?.offset
        #expect(
            commit == nil || commit! <= 1, "the commit passed offset 1, still in flight: \(String(describing: commit))")
    }
}
