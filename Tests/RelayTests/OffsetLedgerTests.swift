import Kafka
import Testing

@testable import Relay

/// A partition commits only up to its settled prefix, whatever order records settle in.
@Suite struct OffsetLedgerTests {
    let partition = KafkaTopicPartition(topic: "account-created", partition: 0)

    @Test func commitsOnlyTheSettledPrefix() {
        var ledger = OffsetLedger()
        let tickets = (10...14).map { ledger.read(self.partition, offset: $0) }
        #expect(ledger.pendingCommits().isEmpty == false)
        #expect(ledger.pendingCommits()[self.partition] == 10)
        ledger.settle(tickets[1])
        ledger.settle(tickets[3])
        #expect(ledger.pendingCommits()[self.partition] == 10, "offset 10 is not settled yet")
        ledger.settle(tickets[0])
        #expect(ledger.pendingCommits()[self.partition] == 12, "10 and 11 settled, 12 not")
        ledger.settle(tickets[2])
        ledger.settle(tickets[4])
        #expect(ledger.pendingCommits()[self.partition] == 15, "all settled: commit the next offset")
        ledger.committed([self.partition: 15])
        #expect(ledger.pendingCommits().isEmpty)
        #expect(ledger.commitLags[self.partition] == 0)
    }

    @Test func commitLagCountsReadButUncommittedRecords() {
        var ledger = OffsetLedger()
        let tickets = (0..<4).map { ledger.read(self.partition, offset: Int64($0)) }
        #expect(ledger.commitLags[self.partition] == 4)
        ledger.settle(tickets[0])
        ledger.committed(ledger.pendingCommits())
        #expect(ledger.commitLags[self.partition] == 3)
    }

    @Test func aStaleTicketOfARevokedPartitionIsIgnored() {
        var ledger = OffsetLedger()
        let old = ledger.read(self.partition, offset: 5)
        ledger.remove([self.partition])
        let fresh = ledger.read(self.partition, offset: 5)
        ledger.settle(old)
        #expect(ledger.pendingCommits()[self.partition] == 5, "the old epoch's settlement must not count")
        ledger.settle(fresh)
        #expect(ledger.pendingCommits()[self.partition] == 6)
    }

    @Test func aRewindStartsANewEpochAndNeverCommitsBackwards() {
        var ledger = OffsetLedger()
        let first = ledger.read(self.partition, offset: 7)
        ledger.settle(first)
        ledger.committed(ledger.pendingCommits())
        let rewound = ledger.read(self.partition, offset: 3)
        ledger.settle(rewound)
        #expect(ledger.pendingCommits().isEmpty, "offset 4 is behind the committed 8: nothing to commit")
    }

    @Test func memoryStaysBoundedByTheUnsettledWindow() {
        var progress = PartitionProgress()
        for offset in Int64(0)..<100_000 {
            _ = progress.read(offset)
            progress.settle(offset)
        }
        #expect(progress.committable == 100_000)
        #expect(progress.unsettled == 0)
    }

    @Test func settlingOutOfOrderAcrossManyOffsets() {
        var progress = PartitionProgress()
        for offset in Int64(0)..<5_000 { _ = progress.read(offset) }
        for offset in stride(from: Int64(4_999), through: 1, by: -1) { progress.settle(offset) }
        #expect(progress.committable == 0)
        progress.settle(0)
        #expect(progress.committable == 5_000)
    }
}
