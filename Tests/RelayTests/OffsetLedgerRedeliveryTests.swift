import Kafka
import Testing

@testable import Relay

/// What the relay's ledger does with the repeat that `KafkaConsumerRedeliveryTests` reproduces
/// (librdkafka 2.0.2 delivers the record read last before a pause a second time, right after
/// itself): it takes the repeat for a rewind and starts a new epoch at that offset. The record is
/// then processed twice (the second MMOLove answer is `duplicate`, the demo's symptom), and the
/// earlier records of the partition that were still in flight drop out of the ledger: the
/// committable offset moves past them before they settle, so a crash (`kill -9`) at that moment
/// would lose them. Expected to fail until either the consumer stops repeating records or the
/// ledger stops treating a repeat of the last record read as a rewind.
@Suite struct OffsetLedgerRedeliveryTests {
    let partition = KafkaTopicPartition(topic: "account-created", partition: 0)

    @Test func aRepeatedLastRecordDoesNotLetTheCommitPassAnUnsettledRecord() {
        var ledger = OffsetLedger()
        let tickets = (0...2).map { ledger.read(self.partition, offset: $0) }
        ledger.settle(tickets[0])
        ledger.settle(tickets[2])
        #expect(ledger.pendingCommits()[self.partition]?.offset == 1, "offset 1 is still in flight")

        // The consumer delivers offset 2 again (a pause raced the poll); the relay processes it
        // again and settles it.
        let repeated = ledger.read(self.partition, offset: 2)
        ledger.settle(repeated)
        let commit = ledger.pendingCommits()[self.partition]?.offset
        #expect(
            commit == nil || commit! <= 1, "the commit passed offset 1, still in flight: \(String(describing: commit))")
    }
}
