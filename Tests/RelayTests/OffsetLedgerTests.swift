import Kafka
import Testing

@testable import Relay

/// A partition commits only up to its settled prefix, whatever order records settle in.
@Suite struct OffsetLedgerTests {
    let partition = KafkaTopicPartition(topic: "account-created", partition: 0)

    @Test func commitsOnlyTheSettledPrefix() {
        var ledger = OffsetLedger()
        let tickets = (10...14).map { ledger.readTicket(self.partition, offset: $0) }
        #expect(ledger.pendingCommits().isEmpty == false)
        #expect(ledger.pendingCommits()[self.partition]?.offset == 10)
        ledger.settle(tickets[1])
        ledger.settle(tickets[3])
        #expect(ledger.pendingCommits()[self.partition]?.offset == 10, "offset 10 is not settled yet")
        ledger.settle(tickets[0])
        #expect(ledger.pendingCommits()[self.partition]?.offset == 12, "10 and 11 settled, 12 not")
        ledger.settle(tickets[2])
        ledger.settle(tickets[4])
        #expect(ledger.pendingCommits()[self.partition]?.offset == 15, "all settled: commit the next offset")
        ledger.committed([self.partition: PendingCommit(offset: 15)])
        #expect(ledger.pendingCommits().isEmpty)
        #expect(ledger.commitLags[self.partition] == 0)
    }

    @Test func commitLagCountsReadButUncommittedRecords() {
        var ledger = OffsetLedger()
        let tickets = (0..<4).map { ledger.readTicket(self.partition, offset: Int64($0)) }
        #expect(ledger.commitLags[self.partition] == 4)
        ledger.settle(tickets[0])
        ledger.committed(ledger.pendingCommits())
        #expect(ledger.commitLags[self.partition] == 3)
    }

    @Test func aStaleTicketOfARevokedPartitionIsIgnored() {
        var ledger = OffsetLedger()
        let old = ledger.readTicket(self.partition, offset: 5)
        ledger.remove([self.partition])
        let fresh = ledger.readTicket(self.partition, offset: 5)
        ledger.settle(old)
        #expect(ledger.pendingCommits()[self.partition]?.offset == 5, "the old epoch's settlement must not count")
        ledger.settle(fresh)
        #expect(ledger.pendingCommits()[self.partition]?.offset == 6)
    }

    /// The entries live in an array, a removed one's slot taken by the last: every partition
    /// left must keep its own progress, whichever is removed.
    @Test(arguments: 0..<3)
    func removingOnePartitionLeavesTheOthersAsTheyWere(removed: Int) {
        var ledger = OffsetLedger()
        let partitions = (0..<3).map { KafkaTopicPartition(topic: "account-created", partition: Int32($0)) }
        var tickets: [[OffsetTicket]] = []
        for (index, partition) in partitions.enumerated() {
            let base = Int64(100 * index)
            tickets.append((base..<(base + 4)).map { ledger.readTicket(partition, offset: $0) })
        }
        ledger.remove([partitions[removed]])
        for (index, partition) in partitions.enumerated() where index != removed {
            ledger.settle(tickets[index][0])
            ledger.settle(tickets[index][1])
            #expect(ledger.pendingCommits()[partition]?.offset == Int64(100 * index + 2))
            #expect(ledger.window(partition) == 2)
            #expect(ledger.nextOffset(partition) == Int64(100 * index + 4))
        }
        let gone = partitions[removed]
        #expect(ledger.pendingCommits()[gone] == nil)
        #expect(ledger.window(gone) == 0)
        ledger.settle(tickets[removed][0])
        #expect(ledger.pendingCommits()[gone] == nil, "a removed partition's ticket is stale")
        // Read again (assigned again): a new epoch from where it is read.
        let fresh = ledger.readTicket(gone, offset: 7)
        ledger.settle(tickets[removed][1])
        #expect(ledger.pendingCommits()[gone]?.offset == 7)
        ledger.settle(fresh)
        #expect(ledger.pendingCommits()[gone]?.offset == 8)
        #expect(ledger.commitLags.count == 3)
    }

    @Test func aRecordDeliveredAgainInsideAnEpochIsRefused() {
        var ledger = OffsetLedger()
        let first = ledger.readTicket(self.partition, offset: 7)
        #expect(ledger.read(self.partition, offset: 7) == nil, "the same offset again")
        #expect(ledger.read(self.partition, offset: 3) == nil, "an earlier offset")
        ledger.settle(first)
        #expect(ledger.pendingCommits()[self.partition]?.offset == 8)
        #expect(ledger.read(self.partition, offset: 8) != nil)
        #expect(ledger.nextOffset(self.partition) == 9)
    }

    @Test func aLongRunOfSettledRecordsCommitsToItsEnd() {
        var progress = PartitionProgress()
        for offset in Int64(0)..<100_000 {
            _ = progress.read(offset)
            progress.settle(offset)
        }
        #expect(progress.committable == 100_000)
        #expect(progress.window == 0)
    }

    @Test func settlingOutOfOrderAcrossManyOffsets() {
        var progress = PartitionProgress()
        for offset in Int64(0)..<5_000 { _ = progress.read(offset) }
        for offset in stride(from: Int64(4_999), through: 1, by: -1) { progress.settle(offset) }
        #expect(progress.committable == 0)
        progress.settle(0)
        #expect(progress.committable == 5_000)
    }

    @Test func aHeldRecordCommitsTheSettledOffsetsBeyondItAsMetadata() {
        var ledger = OffsetLedger()
        let tickets = (100...110).map { ledger.readTicket(self.partition, offset: $0) }
        for index in [1, 2, 3, 9] { ledger.settle(tickets[index]) }
        let pending = ledger.pendingCommits()[self.partition]
        #expect(pending == PendingCommit(offset: 100, metadata: "rr1:1-3,9"))
        ledger.committed(ledger.pendingCommits())
        #expect(ledger.pendingCommits().isEmpty, "nothing changed since the commit")
        ledger.settle(tickets[5])
        #expect(
            ledger.pendingCommits()[self.partition] == PendingCommit(offset: 100, metadata: "rr1:1-3,5,9"),
            "the offset is held, but the metadata changed: commit again")
    }

    @Test func theNextOwnerSkipsWhatAnEarlierOneSettled() {
        var ledger = OffsetLedger()
        ledger.prime(self.partition, committed: KafkaCommittedOffset(offset: 100, metadata: "rr1:1-3,9"))
        let held = ledger.readTicket(self.partition, offset: 100)
        #expect(!ledger.wasSettledEarlier(held))
        let settledEarlier = (101...103).map { ledger.readTicket(self.partition, offset: $0) }
        #expect(settledEarlier.allSatisfy { ledger.wasSettledEarlier($0) })
        for ticket in settledEarlier { ledger.settle(ticket) }
        // Offset 109 is not read yet but stays in the metadata, so a second restart skips it
        // too: the position is what the broker holds already, nothing to commit.
        #expect(ledger.pendingCommits().isEmpty)
        ledger.settle(held)
        #expect(ledger.pendingCommits()[self.partition] == PendingCommit(offset: 104, metadata: "rr1:5"))
    }

    @Test func metadataRoundTripsAndStaysUnderKafkasLimit() {
        let settled: [Int64] = [5, 6, 7, 9, 12, 13]
        let text = SettledOffsetsMetadata.encode(committed: 4, settled: settled)
        #expect(text == "rr1:1-3,5,8-9")
        #expect(SettledOffsetsMetadata.decode(committed: 4, metadata: text) == Set(settled))
        let scattered = (1...5_000).map { Int64($0 * 2) }
        let long = SettledOffsetsMetadata.encode(committed: 0, settled: scattered) ?? ""
        #expect(long.utf8.count <= SettledOffsetsMetadata.maximumLength)
        #expect(SettledOffsetsMetadata.decode(committed: 0, metadata: long).isSubset(of: Set(scattered)))
        #expect(SettledOffsetsMetadata.decode(committed: 0, metadata: "someone else's").isEmpty)
        #expect(SettledOffsetsMetadata.decode(committed: 0, metadata: "rr1:3-x").isEmpty)
        #expect(SettledOffsetsMetadata.decode(committed: 0, metadata: "rr1:0").isEmpty)
    }
}

extension OffsetLedger {
    /// A read the test knows is new.
    mutating func readTicket(_ partition: KafkaTopicPartition, offset: Int64) -> OffsetTicket {
        guard let ticket = self.read(partition, offset: offset) else {
            Issue.record("offset \(offset) refused as delivered again")
            return OffsetTicket(partition: partition, offset: offset, epoch: 0)
        }
        return ticket
    }
}
