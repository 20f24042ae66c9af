import Foundation
import Kafka
import Relay
import Testing

/// `dlq redrive` against the embedded broker: dead letters of both stages on the dead-letter
/// topic go back, once per run, to their original topics with the redrive headers.
@Suite(.timeLimit(.minutes(2))) struct DeadLetterRedriveTests {
    static let accountCreated = "account-created"
    static let milestoneReached = "milestone-reached"

    @Test func redrivesTheChosenStageOnceAndDryRunTouchesNothing() async throws {
        let harness = try await DeadLetterHarness()
        let decodes = [
            DeadLetterHarness.original(Self.accountCreated, partition: 0, offset: 3, account: "d-1"),
            DeadLetterHarness.original(Self.milestoneReached, partition: 2, offset: 8, account: "d-2"),
        ]
        let delivers = [
            DeadLetterHarness.original(Self.accountCreated, partition: 1, offset: 5, account: "r-1"),
            DeadLetterHarness.original(Self.milestoneReached, partition: 2, offset: 9, account: "r-2"),
            DeadLetterHarness.original(Self.milestoneReached, partition: 0, offset: 1, account: "r-3"),
        ]
        for (index, original) in decodes.enumerated() {
            try await harness.deadLetter(
                original, stage: .decode, reason: "mmref: wrong type", dlqPartition: Int32(index % 2))
        }
        for (index, original) in delivers.enumerated() {
            try await harness.deadLetter(original, stage: .deliver, dlqPartition: Int32(index % 2))
        }
        let orphan = DeadLetterHarness.original(Self.milestoneReached, partition: 0, offset: 2, account: "orphan")
        try await harness.deadLetter(orphan, stage: .deliver, dlqPartition: 1, dropping: "__connect.errors.topic")

        // A dry run first: counts, produces nothing, commits nothing.
        let dry = try await harness.redrive(
            run: "deliver-only", filter: try DeadLetterFilter(stage: .deliver), dryRun: true)
        #expect(dry.read == 6)
        #expect(dry.matched == 4)
        #expect(dry.redriven == 3)
        #expect(dry.byTopic == [Self.accountCreated: 1, Self.milestoneReached: 2])
        #expect(dry.samples.count == 3)
        #expect(try await harness.snapshot(Self.accountCreated).isEmpty)
        #expect(try await harness.snapshot(Self.milestoneReached).isEmpty)
        #expect(try await harness.committed(run: "deliver-only").isEmpty)

        let summary = try await harness.redrive(run: "deliver-only", filter: try DeadLetterFilter(stage: .deliver))
        #expect(summary.matched == 4)
        #expect(summary.redriven == 3)
        #expect(summary.skipped == ["no usable __connect.errors.topic header": 1])
        #expect(summary.byStage == ["deliver": 3])

        let produced =
            try await harness.snapshot(Self.accountCreated) + (try await harness.snapshot(Self.milestoneReached))
        #expect(produced.count == 3)
        for original in delivers {
            let copy = try #require(produced.first { $0.key == original.key })
            #expect(copy.topic == original.topic)
            #expect(copy.partition == original.partition)
            #expect(copy.value == original.value)
            #expect(Array(copy.headers.dropLast(2)) == original.headers)
            #expect(
                copy.headers.suffix(2).map(\.key) == ["referral-relay.redrive.run", "referral-relay.redrive.source"])
            #expect(copy.header("referral-relay.redrive.run") == "deliver-only")
            #expect(copy.header("referral-relay.redrive.source")?.hasPrefix("referral-dlq/") == true)
            #expect(!copy.headers.contains { $0.key.hasPrefix("__connect.errors.") })
        }
        let committed = try await harness.committed(run: "deliver-only")
        #expect(
            committed == [.init(topic: "referral-dlq", partition: 0): 3, .init(topic: "referral-dlq", partition: 1): 3])

        // The same run again: nothing left to read, nothing produced.
        let again = try await harness.redrive(run: "deliver-only", filter: try DeadLetterFilter(stage: .deliver))
        #expect(again.read == 0)
        #expect(again.redriven == 0)
        #expect(
            try await harness.snapshot(Self.accountCreated).count + harness.snapshot(Self.milestoneReached).count == 3)
        await harness.close()
    }

    @Test func aSecondRunAfterAPartialRunProducesOnlyTheRest() async throws {
        let harness = try await DeadLetterHarness()
        let originals = (0..<10).map {
            DeadLetterHarness.original(
                Self.milestoneReached, partition: Int32($0 % 3), offset: Int64($0), account: "p-\($0)")
        }
        for (index, original) in originals.enumerated() {
            try await harness.deadLetter(original, stage: .deliver, dlqPartition: Int32(index % 2))
        }

        let first = try await harness.redrive(run: "resume", filter: try DeadLetterFilter(), stopAfter: 4)
        #expect(first.redriven == 4)
        #expect(try await harness.snapshot(Self.milestoneReached).count == 4)

        let second = try await harness.redrive(run: "resume", filter: try DeadLetterFilter())
        #expect(second.redriven == 6)
        let produced = try await harness.snapshot(Self.milestoneReached)
        #expect(produced.count == 10)
        #expect(Set(produced.compactMap { $0.header("referral-relay.redrive.source") }).count == 10)
        #expect(Set(produced.compactMap(\.key)) == Set(originals.compactMap(\.key)))
        await harness.close()
    }

    @Test func aReDrivenRecordThatFailsAgainIsSkippedByTheSameRunOnly() async throws {
        let harness = try await DeadLetterHarness()
        let original = DeadLetterHarness.original(Self.accountCreated, partition: 2, offset: 40, account: "loop")
        try await harness.deadLetter(original, stage: .deliver)
        #expect(try await harness.redrive(run: "loop", filter: try DeadLetterFilter()).redriven == 1)

        // The relay reads the re-driven record, fails again and dead-letters it once more.
        let redriven = try #require(try await harness.snapshot(Self.accountCreated).first)
        try await harness.deadLetter(redriven, stage: .deliver, dlqPartition: 1)

        let again = try await harness.redrive(run: "loop", filter: try DeadLetterFilter())
        #expect(again.matched == 1)
        #expect(again.redriven == 0)
        #expect(again.skipped == ["already re-driven by this run": 1])
        #expect(try await harness.snapshot(Self.accountCreated).count == 1)

        // A new run name is how an operator says "once more".
        #expect(try await harness.redrive(run: "loop-2", filter: try DeadLetterFilter()).redriven == 2)
        await harness.close()
    }

    @Test func aMissingDeadLetterTopicIsAClearError() async throws {
        let harness = try await DeadLetterHarness()
        var kafka = harness.kafka
        kafka.topics.dlq = "no-such-dlq"
        await #expect {
            _ = try await DeadLetterRedrive.run(
                kafka: kafka, options: .init(run: "x", filter: try DeadLetterFilter()), logger: DeadLetterHarness.logger
            ) { _ in }
        } throws: { error in
            (error as? DeadLetterToolError)?.code == .topicMissing
        }
        await harness.close()
    }
}
