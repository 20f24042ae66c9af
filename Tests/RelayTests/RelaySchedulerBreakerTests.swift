import Kafka
import ReferralKit
import Testing

@testable import Relay

/// The scheduler while an MMOLove server's circuit breaker is open, with plain values: that
/// server's records wait as records (not as deliveries parked at the breaker, tens of kilobytes
/// each), one `registered` stays started to probe it, and they start in the order read once it
/// closes.
@Suite struct RelaySchedulerBreakerTests {
    static let created = RelaySchedulerTests.created

    /// A referral event of account `a<offset>` for `server`, at `offset` of `partition`.
    static func registered(
        _ offset: Int64, server: String = "s", kind: ReferralEvent.Kind = .registered,
        partition: KafkaTopicPartition = created
    ) -> (KafkaConsumerMessage, RelayDecision) {
        let (message, decision) = RelaySchedulerTests.record(partition, offset, kind, account: "a\(offset)")
        guard case .deliver(var request) = decision else { return (message, decision) }
        request.serverID = server
        return (message, .deliver(request))
    }

    /// Receives `offsets` of server `server`, returning the records started.
    static func receive(
        _ scheduler: inout RelayScheduler, _ offsets: Range<Int64>, server: String = "s"
    ) -> [RelayWorkItem] {
        offsets.flatMap { offset in
            let (message, decision) = Self.registered(offset, server: server)
            return scheduler.receive(message, decision).1.start
        }
    }

    @Test func anOpenServersRecordsWaitAsRecordsWhileOneOfItsDeliveriesProbes() throws {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 4)
        let prober = try #require(Self.receive(&scheduler, 0..<1).first)
        _ = scheduler.breaker("s", open: true)
        _ = scheduler.park(prober.ticket)
        #expect(Self.receive(&scheduler, 1..<6).isEmpty, "they would only park beside the prober")
        #expect(scheduler.blocked.count == 5)
        #expect(scheduler.inWindow == 0)
        #expect(Self.receive(&scheduler, 6..<7, server: "other").count == 1, "other servers keep going")
    }

    @Test func whenTheBreakerClosesTheWaitingRecordsStartInTheOrderReadBeforeNewerOnes() throws {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 3)
        let prober = try #require(Self.receive(&scheduler, 0..<1).first)
        _ = scheduler.breaker("s", open: true)
        _ = Self.receive(&scheduler, 1..<5)
        let started = scheduler.breaker("s", open: false).start.map(\.message.offset)
        #expect(started == [1, 2], "the prober holds the third slot")
        #expect(scheduler.blocked.count == 0)
        _ = Self.receive(&scheduler, 5..<6)
        let next = scheduler.finish(prober.ticket, settled: true).start.map(\.message.offset)
        #expect(next == [3], "read before offset 5")
    }

    @Test func aServerWithNoStartedDeliveryLeftStartsOneWaitingRecordToProbeIt() throws {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 4)
        let prober = try #require(Self.receive(&scheduler, 0..<1).first)
        _ = scheduler.breaker("s", open: true)
        _ = Self.receive(&scheduler, 1..<3)
        // The prober ended (its attempts used up): nobody would probe the server any more.
        let next = scheduler.finish(prober.ticket, settled: true).start.map(\.message.offset)
        #expect(next == [1])
        #expect(scheduler.blocked.count == 1)
    }

    @Test func aStartedQualifiedDoesNotCountAsTheServersProber() throws {
        // A qualified may wait for the referee store (or take another server from it) before it
        // reaches the breaker: it cannot be relied on to probe.
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 4)
        let (message, decision) = Self.registered(0, kind: .qualified, partition: RelaySchedulerTests.milestones)
        #expect(scheduler.receive(message, decision).1.start.count == 1)
        _ = scheduler.breaker("s", open: true)
        #expect(Self.receive(&scheduler, 1..<2).count == 1, "a registered starts to probe")
        #expect(Self.receive(&scheduler, 2..<3).isEmpty)
    }

    @Test func aRevocationThatDropsTheElectedProberElectsAnother() throws {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 2)
        let prober = try #require(Self.receive(&scheduler, 0..<1).first)
        _ = scheduler.breaker("s", open: true)
        _ = scheduler.park(prober.ticket)
        let (message, decision) = Self.registered(0, partition: RelaySchedulerTests.milestones)
        _ = scheduler.receive(message, decision)
        _ = Self.receive(&scheduler, 3..<4)
        #expect(scheduler.blocked.count == 2)
        #expect(Self.receive(&scheduler, 4..<6, server: "other").count == 2, "the window is full")
        // The prober ends; the next one waits for a slot, and its partition is revoked.
        _ = scheduler.finish(prober.ticket, settled: true)
        #expect(scheduler.ready.map(\.ticket.partition) == [RelaySchedulerTests.milestones])
        _ = scheduler.revoke([RelaySchedulerTests.milestones])
        #expect(scheduler.ready.map(\.message.offset) == [3], "without a prober the server waits forever")
        #expect(scheduler.blocked.count == 0)
    }

    @Test func waitingRecordsCountAgainstTheParkedLimitAndHoldTheirPartitions() throws {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 2, parkedLimit: 4)
        let prober = try #require(Self.receive(&scheduler, 0..<1).first)
        _ = scheduler.breaker("s", open: true)
        _ = scheduler.park(prober.ticket)
        _ = Self.receive(&scheduler, 1..<3)
        #expect(scheduler.heldPartitions.isEmpty)
        _ = Self.receive(&scheduler, 3..<4)
        #expect(scheduler.heldPartitions == [Self.created], "1 parked + 3 waiting reach the limit of 4")
        _ = scheduler.breaker("s", open: false)
        #expect(scheduler.heldPartitions.isEmpty, "started or queued for a slot: no longer held")
    }

    /// After an outage, the `account-created` partition that fed the breaker-blocked
    /// `registered` is no longer a source of parked work once they went on: `qualified` that
    /// later pass the parked limit (waiting for `registered` still unread there) hold only
    /// their own partition. Remembered as a source until nothing at all was parked, it stayed
    /// held, and those `qualified` waited for records that could not be read: bench row 11
    /// stopped for good that way.
    @Test func aPartitionWhoseParkedWorkWentOnIsNotHeldForOthersParkedLater() throws {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 2, parkedLimit: 4)
        let milestones = RelaySchedulerTests.milestones
        // A qualified waits for its registered all along: something is parked throughout.
        let (first, firstDecision) = RelaySchedulerTests.record(milestones, 0, .qualified, account: "q0")
        let waiting = try #require(scheduler.receive(first, firstDecision).1.start.first)
        _ = scheduler.park(waiting.ticket)
        // The outage: one registered probes, three wait for the breaker.
        let prober = try #require(Self.receive(&scheduler, 0..<1).first)
        _ = scheduler.breaker("s", open: true)
        _ = scheduler.park(prober.ticket)
        _ = Self.receive(&scheduler, 1..<4)
        #expect(scheduler.heldPartitions == [Self.created, milestones], "5 waiting reach the limit of 4")
        // It ends: every registered goes on and settles.
        var started = scheduler.breaker("s", open: false).start
        started += scheduler.unpark(prober.ticket, waiter: 1).start
        var settled = 0
        while let item = started.popLast() {
            started += scheduler.finish(item.ticket, settled: true).start
            settled += 1
        }
        _ = scheduler.finish(prober.ticket, settled: true)
        #expect(settled == 3)
        #expect(scheduler.blocked.count == 0)
        // Later, qualified waiting for registered not read yet pass the limit again.
        for offset in 1..<5 {
            let (message, decision) = RelaySchedulerTests.record(
                milestones, Int64(offset), .qualified, account: "q\(offset)")
            for item in scheduler.receive(message, decision).1.start { _ = scheduler.park(item.ticket) }
        }
        #expect(scheduler.parked >= 4)
        #expect(scheduler.heldPartitions == [milestones], "account-created holds what they wait for")
    }

    /// While the parked limit still holds, a source whose last waiting record goes on is let
    /// go at once (the holds are applied again), not when the hold ends.
    @Test func aSourceIsLetGoWhileTheHoldGoesOnOnceItsLastWaitingRecordGoesOn() throws {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 2, parkedLimit: 4)
        let milestones = RelaySchedulerTests.milestones
        for offset in 0..<3 {
            let (message, decision) = RelaySchedulerTests.record(
                milestones, Int64(offset), .qualified, account: "q\(offset)")
            for item in scheduler.receive(message, decision).1.start { _ = scheduler.park(item.ticket) }
        }
        let prober = try #require(Self.receive(&scheduler, 0..<1).first)
        _ = scheduler.breaker("s", open: true)
        _ = scheduler.park(prober.ticket)
        _ = Self.receive(&scheduler, 1..<2)
        #expect(scheduler.heldPartitions == [Self.created, milestones])
        // The breaker closes: the waiting registered starts; the prober is still parked.
        _ = scheduler.breaker("s", open: false)
        #expect(scheduler.heldPartitions == [Self.created, milestones], "3 qualified + the prober: held")
        // The prober wakes and gets a slot: account-created feeds nothing parked any more.
        let actions = scheduler.unpark(prober.ticket, waiter: 1)
        #expect(actions.resume == [1])
        #expect(actions.holdsChanged, "the holds must be applied again")
        #expect(scheduler.holdingParkedSources, "3 parked > 4 / 2: the hold goes on")
        #expect(scheduler.heldPartitions == [milestones])
    }

    @Test func aRevocationOrADrainDropsTheWaitingRecords() throws {
        var scheduler = RelaySchedulerTests.scheduler(maxInFlight: 4)
        _ = try #require(Self.receive(&scheduler, 0..<1).first)
        _ = scheduler.breaker("s", open: true)
        _ = Self.receive(&scheduler, 1..<4)
        _ = scheduler.revoke([Self.created])
        #expect(scheduler.blocked.count == 0)

        var draining = RelaySchedulerTests.scheduler(maxInFlight: 4)
        _ = try #require(Self.receive(&draining, 0..<1).first)
        _ = draining.breaker("s", open: true)
        _ = Self.receive(&draining, 1..<4)
        #expect(draining.drain().dropped == 3)
        #expect(draining.blocked.count == 0)
    }
}
