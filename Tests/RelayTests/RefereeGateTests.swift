import Kafka
import ReferralKit
import Testing

@testable import Relay

/// Milestones waiting for the referee store, with plain values: released in time order once
/// the store's progress reaches them, never by a clock while there is progress to compare
/// with, waiting as records (no slot), and bounded by holding the partitions that feed them.
@Suite struct RefereeGateTests {
    static let milestones = RelaySchedulerTests.milestones
    static let milestones1 = KafkaTopicPartition(topic: "milestone-reached", partition: 1)
    static let start = ContinuousClock.now

    static func item(_ partition: KafkaTopicPartition, _ offset: Int64, timestamp: Int64?) -> RelayWorkItem {
        let (message, decision) = RelaySchedulerTests.record(partition, offset, .qualified, timestamp: timestamp)
        return RelayWorkItem(
            message: message, decision: decision, ticket: OffsetTicket(partition: partition, offset: offset, epoch: 1))
    }

    @Test func recordsAreReleasedInTimeOrderOnceTheStoreIsThroughTheirTime() {
        var gate = RefereeGate()
        gate.gate(Self.item(Self.milestones, 0, timestamp: 3_000), timestamp: 3_000, readAt: 10_000, now: Self.start)
        gate.gate(Self.item(Self.milestones1, 0, timestamp: 1_000), timestamp: 1_000, readAt: 10_000, now: Self.start)
        gate.gate(Self.item(Self.milestones, 1, timestamp: 2_000), timestamp: 2_000, readAt: 10_000, now: Self.start)
        #expect(gate.release(through: 999, now: Self.start, wait: .seconds(60)).isEmpty)
        let first = gate.release(through: 2_000, now: Self.start, wait: .seconds(60))
        #expect(first.map(\.message.timestamp?.milliseconds) == [1_000, 2_000])
        #expect(first.allSatisfy { $0.storeWaitOver })
        #expect(gate.count == 1)
        #expect(gate.perPartition == [Self.milestones: 1])
        #expect(gate.release(through: 5_000, now: Self.start, wait: .seconds(60)).map(\.ticket.offset) == [0])
        #expect(gate.count == 0)
        #expect(gate.perPartition.isEmpty)
    }

    @Test func aTimestampInTheFutureWaitsOnlyUntilTheMomentTheRecordWasRead() {
        var gate = RefereeGate()
        // A producer's clock an hour ahead: the record cannot have happened after it was read.
        gate.gate(
            Self.item(Self.milestones, 0, timestamp: 3_610_000), timestamp: 3_610_000, readAt: 10_000, now: Self.start)
        gate.gate(Self.item(Self.milestones, 1, timestamp: nil), timestamp: nil, readAt: 10_000, now: Self.start)
        #expect(gate.release(through: 9_999, now: Self.start, wait: .seconds(60)).isEmpty)
        #expect(gate.release(through: 10_000, now: Self.start, wait: .seconds(60)).count == 2)
    }

    @Test func noClockEndsAWaitWhileTheStoreHasProgressToCompareWith() {
        // A store that is behind (a backlog, an MMOLove outage holding the registered events)
        // has not read those accounts yet: skipping their milestones would lose rewards.
        var gate = RefereeGate()
        gate.gate(Self.item(Self.milestones, 0, timestamp: 5_000), timestamp: 5_000, readAt: 10_000, now: Self.start)
        #expect(gate.release(through: 4_000, now: Self.start + .seconds(3_600), wait: .seconds(60)).isEmpty)
        // Some account-created partition has no progress at all: the configured wait bounds it.
        #expect(gate.release(through: nil, now: Self.start + .seconds(59), wait: .seconds(60)).isEmpty)
        let expired = gate.release(through: nil, now: Self.start + .seconds(60), wait: .seconds(60))
        #expect(expired.map(\.ticket.offset) == [0])
        #expect(expired.allSatisfy { $0.storeWaitOver })
    }

    @Test func aRevokedPartitionsRecordsAreForgottenAndNeverReleased() {
        var gate = RefereeGate()
        for offset in 0..<100 {
            gate.gate(
                Self.item(Self.milestones, Int64(offset), timestamp: 1_000), timestamp: 1_000, readAt: 10_000,
                now: Self.start)
        }
        gate.gate(Self.item(Self.milestones1, 0, timestamp: 1_000), timestamp: 1_000, readAt: 10_000, now: Self.start)
        gate.remove([Self.milestones])
        #expect(gate.count == 1)
        #expect(
            gate.release(through: 1_000, now: Self.start, wait: .seconds(60)).map(\.ticket.partition) == [
                Self.milestones1
            ])
    }

    @Test func aRecordWaitingASecondTimeIsReleasedByItsNewTimeNotItsOldOne() {
        var gate = RefereeGate()
        let item = Self.item(Self.milestones, 0, timestamp: 1_000)
        gate.gate(item, timestamp: 1_000, readAt: 10_000, now: Self.start)
        gate.remove([Self.milestones])
        gate.gate(item, timestamp: 8_000, readAt: 10_000, now: Self.start)
        #expect(gate.release(through: 1_000, now: Self.start, wait: .seconds(60)).isEmpty)
        #expect(gate.release(through: 8_000, now: Self.start, wait: .seconds(60)).count == 1)
    }

    @Test func recordsOfAnAccountTheStoreLearntGoWithoutWaitingForItsProgress() {
        var gate = RefereeGate()
        for (offset, account) in ["a", "b", "a"].enumerated() {
            let (message, decision) = RelaySchedulerTests.record(
                Self.milestones, Int64(offset), .qualified, account: account, timestamp: 5_000)
            let item = RelayWorkItem(
                message: message, decision: decision,
                ticket: OffsetTicket(partition: Self.milestones, offset: Int64(offset), epoch: 1))
            gate.gate(item, timestamp: 5_000, readAt: 10_000, now: Self.start)
        }
        let released = gate.release(accounts: ["a", "unknown"])
        #expect(released.map(\.ticket.offset) == [0, 2])
        #expect(released.allSatisfy { $0.storeWaitOver })
        #expect(gate.count == 1)
        #expect(gate.release(accounts: ["a"]).isEmpty)
        // The rest still waits for the progress, and is released once.
        #expect(gate.release(through: 5_000, now: Self.start, wait: .seconds(60)).map(\.ticket.offset) == [1])
        #expect(gate.release(accounts: ["b"]).isEmpty)
    }

    // MARK: In the scheduler

    @Test func aWaitingMilestoneGivesItsSlotToTheNextRecordAndComesBackFirst() {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 1)
        let (m0, d0) = RelaySchedulerTests.record(Self.milestones, 0, .qualified, account: "x", timestamp: 5_000)
        let started = scheduler.receive(m0, d0).1.start
        #expect(started.count == 1)
        let (m1, d1) = RelaySchedulerTests.record(Self.milestones, 1, .qualified, account: "y", timestamp: 6_000)
        #expect(scheduler.receive(m1, d1).1.start.isEmpty)
        // The first waits for the store: its slot goes to the second, it holds no place.
        let actions = scheduler.waitForStore(started[0], readAt: 10_000, now: Self.start)
        #expect(actions.start.map(\.ticket.offset) == [1])
        #expect(scheduler.inWindow == 1)
        #expect(scheduler.parked == 0)
        #expect(scheduler.gate.count == 1)
        // Its partition's commit is held behind it.
        _ = scheduler.finish(actions.start[0].ticket, settled: true)
        #expect(scheduler.ledger.settledThrough(Self.milestones) == 0)
        // The store gets through its time: it starts again, marked.
        let (skipped, released) = scheduler.releaseFromStore(through: 5_000, now: Self.start, wait: .seconds(60))
        #expect(skipped.isEmpty)
        #expect(released.start.map(\.ticket.offset) == [0])
        #expect(released.start.allSatisfy { $0.storeWaitOver })
        _ = scheduler.finish(released.start[0].ticket, settled: true)
        #expect(scheduler.ledger.settledThrough(Self.milestones) == 2)
    }

    @Test func releasedMilestonesTheStoreCertainlyDoesNotKnowSettleWithoutATask() {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 4)
        for offset in 0..<3 {
            let (message, decision) = RelaySchedulerTests.record(
                Self.milestones, Int64(offset), .qualified, account: "a\(offset)", timestamp: 1_000)
            // Straight into the gate from intake: no slot, no task.
            let (intake, actions) = scheduler.receive(message, decision, at: Self.start, waitForStore: 10_000)
            #expect(intake == .queued)
            #expect(actions.start.isEmpty)
        }
        #expect(scheduler.gate.count == 3)
        #expect(scheduler.inWindow == 0)
        // a1 may be known to the store: it starts, to be looked up; the others settle.
        let (skipped, actions) = scheduler.releaseFromStore(through: 1_000, now: Self.start, wait: .seconds(60)) {
            item in
            guard case .deliver(let request) = item.decision else { return false }
            return request.accountID != "a1"
        }
        #expect(skipped.map(\.ticket.offset) == [0, 2])
        #expect(actions.start.map(\.ticket.offset) == [1])
        #expect(scheduler.ledger.settledThrough(Self.milestones) == 1)
        _ = scheduler.finish(actions.start[0].ticket, settled: true)
        #expect(scheduler.ledger.settledThrough(Self.milestones) == 3)
    }

    @Test func manyWaitingMilestonesHoldOnlyThePartitionsFeedingThemUntilHalf() {
        var limits = RelayScheduler.Limits(maxInFlight: 10, parkedLimit: 1_000, ledgerWindowLimit: 100_000)
        limits.gatedLimit = 4
        var scheduler = RelayScheduler(limits: limits, dependencyTopic: "account-created")
        _ = scheduler.assign([RelaySchedulerTests.created, Self.milestones, Self.milestones1], committed: [:])
        var holdsChanged = false
        for offset in 0..<4 {
            let (message, decision) = RelaySchedulerTests.record(
                Self.milestones, Int64(offset), .qualified, account: "a\(offset)", timestamp: Int64(offset))
            for item in scheduler.receive(message, decision).1.start {
                holdsChanged =
                    scheduler.waitForStore(item, readAt: 10_000, now: Self.start).holdsChanged || holdsChanged
            }
        }
        #expect(holdsChanged)
        #expect(scheduler.heldPartitions == [Self.milestones])
        // A new partition starting to feed them while held is held too.
        let (message, decision) = RelaySchedulerTests.record(Self.milestones1, 0, .qualified, timestamp: 9)
        let item = scheduler.receive(message, decision).1.start[0]
        #expect(scheduler.waitForStore(item, readAt: 10_000, now: Self.start).holdsChanged)
        #expect(scheduler.heldPartitions == [Self.milestones, Self.milestones1])
        // Released down to half: the hold ends.
        _ = scheduler.releaseFromStore(through: 2, now: Self.start, wait: .seconds(60))
        #expect(scheduler.gate.count == 2)
        #expect(scheduler.heldPartitions.isEmpty)
    }

    @Test func drainingAndRevocationLeaveWaitingMilestonesUnsettled() {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 4)
        let (m0, d0) = RelaySchedulerTests.record(Self.milestones, 0, .qualified, timestamp: 5_000)
        let item = scheduler.receive(m0, d0).1.start[0]
        _ = scheduler.waitForStore(item, readAt: 10_000, now: Self.start)
        #expect(scheduler.drain().dropped == 1)
        #expect(scheduler.gate.count == 0)
        #expect(scheduler.releaseFromStore(through: 10_000, now: Self.start, wait: .seconds(60)).1.start.isEmpty)
        #expect(scheduler.ledger.settledThrough(Self.milestones) == 0)

        var revoked = RelaySchedulerTests.scheduler(maxInFlight: 4)
        let started = revoked.receive(m0, d0).1.start[0]
        // Revoked while it was being consulted: it does not wait, it stays unsettled.
        _ = revoked.revoke([Self.milestones])
        _ = revoked.waitForStore(started, readAt: 10_000, now: Self.start)
        #expect(revoked.gate.count == 0)
        #expect(revoked.started.isEmpty)
    }
}
