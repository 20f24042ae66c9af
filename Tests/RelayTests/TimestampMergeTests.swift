import Kafka
import Testing

@testable import Relay

/// ``TimestampMerge`` with plain values: the order it releases records in, its holds, its end.
@Suite struct TimestampMergeTests {
    static let created = KafkaTopicPartition(topic: "account-created", partition: 0)
    static let created1 = KafkaTopicPartition(topic: "account-created", partition: 1)
    static let milestones = KafkaTopicPartition(topic: "milestone-reached", partition: 0)

    static func record(_ partition: KafkaTopicPartition, _ offset: Int64, at milliseconds: Int64)
        -> KafkaConsumerMessage
    {
        KafkaConsumerMessage(
            topic: partition.topic, partition: partition.partition, offset: offset, key: nil, value: [], headers: [],
            timestamp: KafkaTimestamp(milliseconds: milliseconds, kind: .createTime))
    }

    static func merge(ends: [KafkaTopicPartition: Int64], lookahead: Int = 4) -> TimestampMerge {
        TimestampMerge(
            starts: ends.mapValues { _ in 0 }, ends: ends, lookahead: lookahead, dependencyTopic: "account-created")
    }

    /// A merge behind a reference, so `#expect` can call its mutating members.
    final class Merge {
        var value: TimestampMerge
        init(_ value: TimestampMerge) { self.value = value }
        func add(_ record: KafkaConsumerMessage) -> Bool { self.value.add(record) }
        func release(blocked: Set<KafkaTopicPartition> = []) -> [KafkaConsumerMessage] {
            self.value.release(blocked: blocked)
        }
        func finish(_ partition: KafkaTopicPartition) { self.value.finish(partition) }
        var held: Set<KafkaTopicPartition> { self.value.held }
        var isDone: Bool { self.value.isDone }
        var buffered: Int { self.value.buffered }
    }

    static func names(_ records: [KafkaConsumerMessage]) -> [String] {
        records.map { "\($0.topic)/\($0.partition)@\($0.offset)" }
    }

    @Test func waitsForEveryOpenPartitionThenReleasesOldestFirst() {
        let merge = Merge(Self.merge(ends: [Self.created: 10, Self.milestones: 10]))
        // A milestone stamped 100 cannot go while account-created may still hold an older record.
        #expect(merge.add(Self.record(Self.milestones, 0, at: 100)))
        #expect(merge.release().isEmpty)
        #expect(merge.add(Self.record(Self.created, 0, at: 150)))
        #expect(Self.names(merge.release()) == ["milestone-reached/0@0"])
        #expect(merge.add(Self.record(Self.milestones, 1, at: 200)))
        #expect(Self.names(merge.release()) == ["account-created/0@0"])
    }

    @Test func equalTimestampsReleaseTheAccountFirst() {
        let merge = Merge(Self.merge(ends: [Self.created: 1, Self.milestones: 1]))
        #expect(merge.add(Self.record(Self.milestones, 0, at: 100)))
        #expect(merge.add(Self.record(Self.created, 0, at: 100)))
        #expect(Self.names(merge.release()) == ["account-created/0@0", "milestone-reached/0@0"])
        #expect(merge.isDone)
    }

    @Test func aPartitionReadToItsEndIsNoLongerAwaitedAndIsHeld() {
        let merge = Merge(Self.merge(ends: [Self.created: 1, Self.milestones: 3]))
        #expect(merge.add(Self.record(Self.created, 0, at: 500)))
        #expect(merge.held == [Self.created], "read to its end: must not be read further")
        #expect(Self.names(merge.release()).isEmpty, "milestones may still hold an older record")
        #expect(merge.add(Self.record(Self.milestones, 0, at: 100)))
        // Its own newest record goes too: nothing older can come from any partition now.
        #expect(merge.add(Self.record(Self.milestones, 1, at: 600)))
        #expect(
            Self.names(merge.release()) == ["milestone-reached/0@0", "account-created/0@0", "milestone-reached/0@1"])
        #expect(merge.add(Self.record(Self.milestones, 2, at: 700)))
        #expect(Self.names(merge.release()) == ["milestone-reached/0@2"])
        #expect(merge.isDone)
    }

    @Test func recordsPastTheWindowAreRefused() {
        let merge = Merge(Self.merge(ends: [Self.created: 2]))
        #expect(merge.add(Self.record(Self.created, 0, at: 1)))
        #expect(merge.add(Self.record(Self.created, 1, at: 2)))
        #expect(!merge.add(Self.record(Self.created, 2, at: 3)), "past the end")
        #expect(!merge.add(Self.record(Self.milestones, 0, at: 3)), "not in the replay")
        #expect(merge.release().count == 2)
        #expect(merge.isDone)
    }

    @Test func aRecordPastTheEndFinishesAPartitionWhoseLastOffsetsHeldNoRecord() {
        // Offsets 3 and 4 are a transaction's commit markers: the consumer never returns them.
        let merge = Merge(Self.merge(ends: [Self.created: 5, Self.milestones: 5]))
        for offset in 0..<3 { _ = merge.add(Self.record(Self.created, Int64(offset), at: Int64(offset))) }
        #expect(!merge.held.contains(Self.created))
        #expect(!merge.add(Self.record(Self.created, 5, at: 99)))
        #expect(merge.held.contains(Self.created))
        #expect(merge.release(blocked: [Self.milestones]).count == 3)
    }

    @Test func aFullPartitionIsHeldButStillAccepted() {
        let merge = Merge(Self.merge(ends: [Self.created: 100, Self.milestones: 100], lookahead: 2))
        for offset in 0..<3 { #expect(merge.add(Self.record(Self.created, Int64(offset), at: Int64(offset)))) }
        #expect(merge.held == [Self.created])
        #expect(merge.release().isEmpty, "milestones still awaited")
        #expect(merge.buffered == 3)
    }

    @Test func aBlockedPartitionIsNotAwaited() {
        // Milestones are held until records already released settle: waiting for them here
        // could wait forever, so the merge goes on without them.
        let merge = Merge(Self.merge(ends: [Self.created: 10, Self.milestones: 10]))
        #expect(merge.add(Self.record(Self.created, 0, at: 5)))
        #expect(merge.release().isEmpty)
        #expect(Self.names(merge.release(blocked: [Self.milestones])) == ["account-created/0@0"])
    }

    @Test func anEmptyWindowIsDoneAtOnceAndAFinishedPartitionStopsBeingAwaited() {
        let empty = TimestampMerge(
            starts: [Self.created: 5], ends: [Self.created: 5], lookahead: 4, dependencyTopic: "account-created")
        #expect(empty.isDone)
        let merge = Merge(Self.merge(ends: [Self.created: 10, Self.created1: 10]))
        #expect(merge.add(Self.record(Self.created, 0, at: 5)))
        #expect(merge.release().isEmpty)
        merge.finish(Self.created1)
        #expect(merge.release().count == 1)
    }
}
