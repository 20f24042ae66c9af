import Kafka
import ReferralKit
import Testing

@testable import Relay

/// The scheduling rules with plain values: a window that waiting events cannot fill, holds
/// that pause input instead of buffering it, idle waits, and the progress-aware 422 wait.
@Suite struct RelaySchedulerTests {
    static let created = KafkaTopicPartition(topic: "account-created", partition: 0)
    static let milestones = KafkaTopicPartition(topic: "milestone-reached", partition: 0)

    static func scheduler(maxInFlight: Int = 2, parkedLimit: Int = 1_000, ledger: Int64 = 100_000) -> RelayScheduler {
        var scheduler = RelayScheduler(
            limits: .init(maxInFlight: maxInFlight, parkedLimit: parkedLimit, ledgerWindowLimit: ledger),
            dependencyTopic: "account-created")
        _ = scheduler.assign([created, milestones], committed: [:])
        return scheduler
    }

    static func record(
        _ partition: KafkaTopicPartition,
        _ offset: Int64,
        _ kind: ReferralEvent.Kind? = nil,
        account: String = "a",
        timestamp: Int64? = nil
    ) -> (KafkaConsumerMessage, RelayDecision) {
        let message = KafkaConsumerMessage(
            topic: partition.topic, partition: partition.partition, offset: offset, key: nil, value: [],
            timestamp: timestamp.map { KafkaTimestamp(milliseconds: $0, kind: .createTime) })
        guard let kind else { return (message, .skip(.notReferred)) }
        let source = RecordSource(
            topic: partition.topic, partition: partition.partition, offset: offset, timestampMilliseconds: timestamp)
        let request = DeliveryRequest(
            kind: kind, accountID: account, mmref: "m", serverID: "s",
            serverEventID: "\(kind.rawValue)-\(account)", ts: nil, source: source)
        return (message, .deliver(request))
    }

    @Test func aWindowFullOfParkedQualifiedStillStartsEveryRegistered() {
        var scheduler = Self.scheduler(maxInFlight: 2)
        var started: [RelayWorkItem] = []
        for offset in 0..<2 {
            let (message, decision) = Self.record(Self.milestones, Int64(offset), .qualified, account: "a\(offset)")
            started += scheduler.receive(message, decision).1.start
        }
        #expect(started.count == 2)
        #expect(scheduler.inWindow == 2)
        // Both answered 422: they park and give their slots back.
        for item in started { _ = scheduler.park(item.ticket) }
        #expect(scheduler.inWindow == 0)
        #expect(scheduler.parked == 2)
        // Their registered events start at once, one per free slot.
        for offset in 0..<2 {
            let (message, decision) = Self.record(Self.created, Int64(offset), .registered, account: "a\(offset)")
            let (intake, actions) = scheduler.receive(message, decision)
            #expect(intake == .queued)
            #expect(actions.start.count == 1, "registered \(offset) did not start")
        }
        #expect(scheduler.inWindow == 2)
    }

    /// A milestone waiting for the referee store is neither started nor ready, and still work
    /// left (a backfill ends only once there is none).
    @Test func aMilestoneWaitingForTheStoreIsWorkLeft() {
        var scheduler = Self.scheduler()
        #expect(!scheduler.hasWork)
        let (message, decision) = Self.record(Self.milestones, 0, .qualified, timestamp: 5_000)
        #expect(scheduler.receive(message, decision, waitForStore: 5_000).0 == .queued)
        #expect(scheduler.started.isEmpty && scheduler.ready.isEmpty)
        #expect(scheduler.hasWork)
        let (skipped, _) = scheduler.releaseFromStore(through: 5_000, now: .now, wait: .seconds(60)) { _ in true }
        #expect(skipped.count == 1)
        #expect(!scheduler.hasWork)
    }

    @Test func wokenDeliveriesAndNewRecordsTakeFreeSlotsInTurn() {
        var scheduler = Self.scheduler(maxInFlight: 1)
        let (message, decision) = Self.record(Self.milestones, 0, .qualified)
        let first = scheduler.receive(message, decision).1.start[0]
        _ = scheduler.park(first.ticket)
        // A new record takes the free slot; three more wait behind it.
        var blocker: RelayWorkItem?
        for offset in 0..<4 {
            let (message, decision) = Self.record(Self.created, Int64(offset), .registered, account: "b\(offset)")
            let started = scheduler.receive(message, decision).1.start
            blocker = blocker ?? started.first
            if offset > 0 { #expect(scheduler.waiting == offset) }
        }
        // The qualified wakes: it queues behind nothing but must wait for the slot.
        let wake = scheduler.unpark(first.ticket, waiter: 7)
        #expect(wake.resume.isEmpty)
        // The slot frees: the woken delivery gets it before the three waiting records...
        let next = scheduler.finish(blocker!.ticket, settled: true)
        #expect(next.resume == [7])
        #expect(next.start.isEmpty)
        // ...and the next free slot goes to a new record.
        let after = scheduler.finish(first.ticket, settled: true)
        #expect(after.start.count == 1)
        #expect(scheduler.waiting == 2)
    }

    @Test func aColdBacklogOfBothTopicsSettlesEverythingWithoutStarving() {
        // 600 accounts, a third of them qualifying, read side by side (as the consumer reads
        // partitions round robin): most milestones arrive long before their account. A
        // simulated MMOLove refuses a qualified (422) until its account's registered settled.
        var scheduler = Self.scheduler(maxInFlight: 8, parkedLimit: 50)
        let accounts = 600
        var created = (0..<accounts).map { Self.record(Self.created, Int64($0), .registered, account: "a\($0)") }
        var milestones = (0..<accounts / 3).map {
            Self.record(Self.milestones, Int64($0), .qualified, account: "a\($0 * 3 + 2)")
        }
        created.reverse()
        milestones.reverse()
        var registered: Set<String> = []
        var parked: [String: OffsetTicket] = [:]
        var running: [RelayWorkItem] = []
        var waiter: UInt64 = 0
        var waiters: [UInt64: RelayWorkItem] = [:]
        var refusals = 0
        var settled = 0
        var steps = 0
        func apply(_ actions: RelayScheduler.Actions) {
            running += actions.start
            for id in actions.resume { running.append(waiters.removeValue(forKey: id)!) }
        }
        while settled < accounts + accounts / 3, steps < 100_000 {
            steps += 1
            // Intake: one record of each topic per turn unless its partition is held.
            let held = scheduler.heldPartitions
            if !held.contains(Self.created), let (message, decision) = created.popLast() {
                apply(scheduler.receive(message, decision).1)
            }
            if !held.contains(Self.milestones), let (message, decision) = milestones.popLast() {
                apply(scheduler.receive(message, decision).1)
            }
            #expect(scheduler.inWindow <= 8)
            // MMOLove answers the oldest delivery in the window.
            guard !running.isEmpty else { continue }
            let item = running.removeFirst()
            guard case .deliver(let request) = item.decision else { continue }
            if request.kind == .qualified, !registered.contains(request.accountID) {
                refusals += 1
                parked[request.accountID] = item.ticket
                waiters[waiter] = item
                apply(scheduler.park(item.ticket))
                waiter += 1
                continue
            }
            if request.kind == .registered {
                registered.insert(request.accountID)
                // The lanes wake a parked qualified of this account.
                if let ticket = parked.removeValue(forKey: request.accountID),
                    let id = waiters.first(where: { $0.value.ticket == ticket })?.key
                {
                    apply(scheduler.unpark(ticket, waiter: id))
                }
            }
            settled += 1
            apply(scheduler.finish(item.ticket, settled: true))
        }
        #expect(settled == accounts + accounts / 3, "stalled after \(steps) steps with \(scheduler.parked) parked")
        #expect(refusals > 0, "the backlog never made a qualified wait: the test proves nothing")
        #expect(scheduler.ledger.pendingCommits()[Self.created]?.offset == Int64(accounts))
        #expect(scheduler.ledger.pendingCommits()[Self.milestones]?.offset == Int64(accounts / 3))
    }

    @Test func aWindowOfWaitingRecordsHoldsEveryPartitionUntilHalfIsLeft() {
        // An outage: every delivery in the window retries; records keep arriving.
        var scheduler = Self.scheduler(maxInFlight: 4)
        var started: [RelayWorkItem] = []
        var holds = 0
        for offset in 0..<8 {
            let (message, decision) = Self.record(Self.created, Int64(offset), .registered, account: "c\(offset)")
            let actions = scheduler.receive(message, decision).1
            started += actions.start
            if actions.holdsChanged { holds += 1 }
        }
        #expect(scheduler.waiting == 4)
        #expect(scheduler.heldPartitions == [Self.created, Self.milestones], "a backlog must stay on the broker")
        _ = scheduler.finish(started[0].ticket, settled: true)
        #expect(!scheduler.heldPartitions.isEmpty, "3 waiting > 4 / 2: still held")
        _ = scheduler.finish(started[1].ticket, settled: true)
        #expect(scheduler.heldPartitions.isEmpty)
    }

    @Test func manyParkedDeliveriesHoldOnlyThePartitionsFeedingThem() {
        var scheduler = Self.scheduler(maxInFlight: 4, parkedLimit: 4)
        for offset in 0..<4 {
            let (message, decision) = Self.record(Self.milestones, Int64(offset), .qualified, account: "p\(offset)")
            for item in scheduler.receive(message, decision).1.start { _ = scheduler.park(item.ticket) }
        }
        #expect(scheduler.parked == 4)
        #expect(scheduler.heldPartitions == [Self.milestones], "account-created must keep flowing")
    }

    @Test func aSourceThatStartsFeedingParkedDeliveriesAfterTheLimitIsHeldToo() throws {
        var scheduler = Self.scheduler(maxInFlight: 8, parkedLimit: 4)
        for offset in 0..<4 {
            let (message, decision) = Self.record(Self.milestones, Int64(offset), .qualified, account: "p\(offset)")
            for item in scheduler.receive(message, decision).1.start { _ = scheduler.park(item.ticket) }
        }
        #expect(scheduler.heldPartitions == [Self.milestones])
        // account-created was not among the sources when the limit was reached; now it feeds one.
        let (message, decision) = Self.record(Self.created, 0, .registered, account: "late")
        let started = scheduler.receive(message, decision).1.start
        let actions = scheduler.park(try #require(started.first).ticket)
        #expect(actions.holdsChanged, "the holds must be applied again")
        #expect(scheduler.heldPartitions == [Self.created, Self.milestones])
    }

    @Test func wokenDeliveriesWaitingForASlotCountAgainstTheParkedLimit() {
        // A breaker's probe wakes every held delivery; they wait for a slot, then park again.
        var scheduler = Self.scheduler(maxInFlight: 1, parkedLimit: 4)
        var tickets: [OffsetTicket] = []
        for offset in 0..<4 {
            let (message, decision) = Self.record(Self.milestones, Int64(offset), .qualified, account: "w\(offset)")
            let actions = scheduler.receive(message, decision).1
            for item in actions.start {
                tickets.append(item.ticket)
                _ = scheduler.park(item.ticket)
            }
        }
        #expect(tickets.count == 4)
        #expect(!scheduler.heldPartitions.isEmpty)
        var waiter: UInt64 = 0
        for ticket in tickets {
            waiter += 1
            _ = scheduler.unpark(ticket, waiter: waiter)
        }
        #expect(scheduler.parked == 0)
        #expect(!scheduler.heldPartitions.isEmpty, "woken, still waiting: the sources stay held")
    }

    @Test func aPartitionReadFarPastAHeldRecordIsHeld() {
        var scheduler = Self.scheduler(maxInFlight: 4, ledger: 10)
        let (message, decision) = Self.record(Self.milestones, 0, .qualified)
        let held = scheduler.receive(message, decision).1.start[0]
        var overlong: [(partition: KafkaTopicPartition, window: Int64)] = []
        for offset in 1..<10 {
            let (message, decision) = Self.record(Self.milestones, Int64(offset))
            overlong += scheduler.receive(message, decision).1.overlong
        }
        #expect(overlong.count == 1)
        #expect(scheduler.heldPartitions == [Self.milestones])
        _ = scheduler.finish(held.ticket, settled: true)
        #expect(scheduler.heldPartitions.isEmpty)
    }

    @Test func aRecordDeliveredTwiceIsWorkedOnOnce() {
        var scheduler = Self.scheduler()
        let (message, decision) = Self.record(Self.created, 5, .registered)
        #expect(scheduler.receive(message, decision).0 == .queued)
        #expect(scheduler.receive(message, decision).0 == .redelivered)
        #expect(scheduler.started.count == 1)
    }

    @Test func idleWaitersAreToldWhenTheirPartitionsHaveNoWorkLeft() {
        var scheduler = Self.scheduler()
        let (message, decision) = Self.record(Self.created, 0, .registered)
        let item = scheduler.receive(message, decision).1.start[0]
        #expect(scheduler.waitUntilIdle([Self.milestones], waiter: 1).idle == [1], "no work there")
        #expect(scheduler.waitUntilIdle([Self.created], waiter: 2).idle.isEmpty)
        #expect(scheduler.waitUntilIdle(nil, waiter: 3).idle.isEmpty)
        let done = scheduler.finish(item.ticket, settled: false)
        #expect(Set(done.idle) == [2, 3])
        #expect(scheduler.ledger.pendingCommits()[Self.created]?.offset == 0, "unsettled: nothing past it commits")
    }

    @Test func aRevocationDropsTheWaitingRecordsOfItsPartitions() {
        var scheduler = Self.scheduler(maxInFlight: 1)
        for offset in 0..<3 {
            let (message, decision) = Self.record(Self.created, Int64(offset), .registered, account: "r\(offset)")
            _ = scheduler.receive(message, decision)
        }
        let (message, decision) = Self.record(Self.milestones, 0, .qualified)
        _ = scheduler.receive(message, decision)
        #expect(scheduler.waiting == 3)
        _ = scheduler.revoke([Self.created])
        #expect(scheduler.waiting == 1)
        #expect(!scheduler.assigned.contains(Self.created))
    }

    @Test func theDependencyIsBehindOnlyWhileItHasOlderRecordsLeftToRead() {
        var scheduler = Self.scheduler()
        let (message, decision) = Self.record(Self.created, 9, timestamp: 1_000)
        _ = scheduler.receive(message, decision)
        // Read up to offset 9 (next 10) at time 1,000; the partition ends at 50.
        #expect(scheduler.dependencyBehind(2_000) { _ in 50 }, "older records left to read")
        #expect(!scheduler.dependencyBehind(500) { _ in 50 }, "the read position passed the event")
        #expect(!scheduler.dependencyBehind(2_000) { _ in 10 }, "caught up")
        #expect(!scheduler.dependencyBehind(2_000) { _ in nil }, "end unknown: the wait stays bounded")
        #expect(!scheduler.dependencyBehind(nil) { _ in 50 })
    }

    @Test func aRegisteredReadButNotSettledKeepsOlderQualifiedWaiting() {
        var scheduler = Self.scheduler(maxInFlight: 1)
        // The window is busy (an outage): a registered read at 1,000 waits for a slot.
        let (busy, busyDecision) = Self.record(Self.milestones, 0, .qualified, account: "x", timestamp: 900)
        let blocker = scheduler.receive(busy, busyDecision).1.start[0]
        let (message, decision) = Self.record(Self.created, 0, .registered, account: "y", timestamp: 1_000)
        _ = scheduler.receive(message, decision)
        // Caught up with the end of the partition: only the unsettled registered keeps it alive.
        #expect(scheduler.dependencyBehind(1_500) { _ in 1 })
        #expect(!scheduler.dependencyBehind(800) { _ in 1 }, "a newer registered cannot be the awaited one")
        let started = scheduler.finish(blocker.ticket, settled: true).start[0]
        _ = scheduler.finish(started.ticket, settled: true)
        #expect(!scheduler.dependencyBehind(1_500) { _ in 1 }, "settled: nothing left to wait for")
    }

    @Test func anAccountsRegisteredIsUnsettledFromItsReadUntilItSettlesOrIsDropped() {
        var scheduler = Self.scheduler(maxInFlight: 1)
        let (first, firstDecision) = Self.record(Self.created, 0, .registered, account: "r1")
        let started = scheduler.receive(first, firstDecision).1.start[0]
        // Read while the window is full: waiting for a slot counts as unsettled too.
        let (second, secondDecision) = Self.record(Self.created, 1, .registered, account: "r2")
        _ = scheduler.receive(second, secondDecision)
        #expect(scheduler.dependencyWork.contains(account: "r1"))
        #expect(scheduler.dependencyWork.contains(account: "r2"))
        #expect(!scheduler.dependencyWork.contains(account: "r3"))
        // Abandoned (not settled) or settled, it is no longer being sent.
        let next = scheduler.finish(started.ticket, settled: false).start
        #expect(!scheduler.dependencyWork.contains(account: "r1"))
        #expect(next.count == 1)
        // A revocation drops the records still waiting for a slot.
        let (third, thirdDecision) = Self.record(Self.created, 2, .registered, account: "r3")
        _ = scheduler.receive(third, thirdDecision)
        #expect(scheduler.dependencyWork.contains(account: "r3"))
        _ = scheduler.revoke([Self.created])
        #expect(!scheduler.dependencyWork.contains(account: "r3"))
        _ = scheduler.finish(next[0].ticket, settled: true)
        #expect(scheduler.dependencyWork.isEmpty)
    }
}
