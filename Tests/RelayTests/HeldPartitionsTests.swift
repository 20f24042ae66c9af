import Kafka
import Testing

@testable import Relay

/// A partition held by the same unsettled record for long is reported; it stops being reported
/// once that record settles (its oldest unsettled offset moves) or the partition goes.
@Suite struct HeldPartitionsTests {
    static let p0 = KafkaTopicPartition(topic: "account-created", partition: 0)
    static let p1 = KafkaTopicPartition(topic: "account-created", partition: 1)

    @Test func reportsAPartitionHeldByOneRecordPastTheLimit() {
        var held = HeldPartitions()
        let start = ContinuousClock.now
        let limit = Duration.seconds(120)
        #expect(held.update(oldestUnsettled: [Self.p0: 10, Self.p1: 5], now: start, limit: limit).isEmpty)
        // p1 moves on; p0 stays at 10.
        #expect(
            held.update(oldestUnsettled: [Self.p0: 10, Self.p1: 6], now: start + .seconds(60), limit: limit).isEmpty)
        let late = held.update(oldestUnsettled: [Self.p0: 10, Self.p1: 7], now: start + .seconds(120), limit: limit)
        #expect(late == [HeldPartitions.Held(partition: Self.p0, offset: 10, since: start)])
        // Settled: the oldest unsettled offset moved, the clock starts again.
        #expect(
            held.update(oldestUnsettled: [Self.p0: 11, Self.p1: 7], now: start + .seconds(130), limit: limit).isEmpty)
        // p1 held since 120 s, reported at 240 s.
        let p1Held = held.update(oldestUnsettled: [Self.p1: 7], now: start + .seconds(240), limit: limit)
        #expect(p1Held.map(\.partition) == [Self.p1])
        // Nothing unsettled (or revoked): nothing held.
        #expect(held.update(oldestUnsettled: [:], now: start + .seconds(500), limit: limit).isEmpty)
        #expect(held.update(oldestUnsettled: [Self.p1: 7], now: start + .seconds(501), limit: limit).isEmpty)
    }

    @Test func theLedgerNamesTheOldestUnsettledRecord() {
        var ledger = OffsetLedger()
        let tickets = (100..<103).compactMap { ledger.read(Self.p0, offset: $0) }
        #expect(ledger.oldestUnsettled == [Self.p0: 100])
        ledger.settle(tickets[1])
        #expect(ledger.oldestUnsettled == [Self.p0: 100])
        ledger.settle(tickets[0])
        #expect(ledger.oldestUnsettled == [Self.p0: 102])
        ledger.settle(tickets[2])
        #expect(ledger.oldestUnsettled.isEmpty)
    }

    @Test func readinessFollowsHeldPartitions() {
        let health = RelayHealth()
        health.assigned(partitions: 2)
        #expect(health.snapshot.isReady)
        health.heldPartitions("partition account-created[0] held 130 s by offset 10 (publishing failing)")
        #expect(!health.snapshot.isReady)
        #expect(health.snapshot.heldPartitions?.contains("account-created[0]") == true)
        health.heldPartitions(nil)
        #expect(health.snapshot.isReady)
    }
}
