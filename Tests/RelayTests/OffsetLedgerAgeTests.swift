import Kafka
import Testing

@testable import Relay

/// `relay_oldest_unsettled_age_seconds` comes from when the ledger read each partition's oldest
/// unsettled record, known to within ``PartitionProgress/readMarkInterval`` (1 s) from one mark
/// per second of reading.
@Suite struct OffsetLedgerAgeTests {
    let partition = KafkaTopicPartition(topic: "milestone-reached", partition: 2)
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { self.start + .milliseconds(milliseconds) }

    @Test func theOldestUnsettledRecordsReadTimeFollowsTheHead() throws {
        var ledger = OffsetLedger()
        // Offsets 0-2 read at 0.0-0.4 s (one mark), 3-4 at 5.0-5.2 s, 5 at 9.0 s.
        let times = [0, 200, 400, 5_000, 5_200, 9_000]
        var tickets: [OffsetTicket] = []
        for (offset, milliseconds) in times.enumerated() {
            let ticket = ledger.read(self.partition, offset: Int64(offset), at: self.at(milliseconds))
            tickets.append(try #require(ticket))
        }
        #expect(ledger.oldestUnsettledReadTimes[self.partition] == self.at(0))

        ledger.settle(tickets[0])
        // Offset 1 was read at 0.2 s; its mark says 0.0 s: within the resolution.
        #expect(ledger.oldestUnsettledReadTimes[self.partition] == self.at(0))
        ledger.settle(tickets[1])
        ledger.settle(tickets[2])
        #expect(ledger.oldestUnsettledReadTimes[self.partition] == self.at(5_000))
        // Settling out of order: offset 3 still holds the head.
        ledger.settle(tickets[4])
        #expect(ledger.oldestUnsettledReadTimes[self.partition] == self.at(5_000))
        ledger.settle(tickets[3])
        #expect(ledger.oldestUnsettledReadTimes[self.partition] == self.at(9_000))
        ledger.settle(tickets[5])
        #expect(ledger.oldestUnsettledReadTimes[self.partition] == nil, "nothing unsettled: no age")
    }

    @Test func readTimesAreNeverMoreThanTheResolutionEarly() throws {
        var progress = PartitionProgress()
        // One record every 150 ms for 10 s, none settled but the ones before `head`.
        for offset in Int64(0)..<67 { _ = progress.read(offset, at: self.at(Int(offset) * 150)) }
        for head in Int64(0)..<66 {
            progress.settle(head)
            let readAt = try #require(progress.oldestUnsettledReadAt)
            let actual = self.at(Int(head + 1) * 150)
            #expect(readAt <= actual)
            #expect(actual - readAt < PartitionProgress.readMarkInterval, "offset \(head + 1)")
        }
    }

    @Test func aRevokedPartitionHasNoAge() {
        var ledger = OffsetLedger()
        #expect(ledger.read(self.partition, offset: 7, at: self.at(0)) != nil)
        ledger.remove([self.partition])
        #expect(ledger.oldestUnsettledReadTimes.isEmpty)
    }
}
