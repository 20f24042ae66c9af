import DequeModule
import Kafka

/// The relay's scheduling rules as a value: which record starts when, which partitions are
/// held, when work of a partition is idle. No I/O, no clocks, no tasks: every transition
/// returns ``RelayScheduler/Actions`` that ``RelayPipeline`` carries out after releasing its
/// lock, so each rule is tested with plain values (`RelaySchedulerTests`).
///
/// The rules:
/// - **Window.** At most ``Limits/maxInFlight`` deliveries hold a slot. Records wait for one in
///   intake order (``ready``); the consumer already reads partitions side by side.
/// - **Parking.** A delivery that must wait for another record (a `qualified` answered 422,
///   waiting for its account's `registered`) gives its slot back while it waits
///   (``park(_:)``) and queues for one again when it wakes (``unpark(_:waiter:)``). A window
///   can therefore never fill with waiting events and starve the `registered` events they wait
///   for. Woken deliveries and new records take free slots in turn, so neither starves.
/// - **Holds.** Partitions are held (not read) when a whole window waits in ``ready`` (all of
///   them), when ``Limits/parkedLimit`` deliveries are parked (only the partitions that fed
///   them, so the `registered` events keep coming), and when a partition was read
///   ``Limits/ledgerWindowLimit`` records past its oldest unsettled one (that partition, so the
///   ledger stays bounded), and when ``Limits/gatedLimit`` milestones wait for the referee
///   store (the partitions that fed them). Each hold ends at half (hysteresis).
/// - **Open breakers.** While an MMOLove server's circuit breaker is open, its records wait as
///   records (``BlockedServers``), not as deliveries parked at the breaker, once one of its
///   deliveries is started to probe it; they count against ``Limits/parkedLimit``.
/// - **Waiting for the store.** A milestone whose account the referee store does not know yet
///   leaves the window and waits as a record in ``gate`` (``waitForStore(_:readAt:now:)``)
///   until the store's progress reaches its time (``releaseFromStore(through:now:wait:notReferred:)``).
/// - **Settling.** A record is settled in the ledger when its work ends settled; the ledger
///   commits only settled prefixes (``OffsetLedger``). A record delivered again by the client
///   inside one assignment (an offset not after the last read one) is ignored: its first copy
///   settles it.
struct RelayScheduler: Sendable {
    /// The bounds the rules work with.
    struct Limits: Sendable, Hashable {
        /// Deliveries holding a slot at once.
        var maxInFlight: Int
        /// Parked deliveries before the partitions feeding them are held.
        var parkedLimit: Int
        /// Records read past a partition's oldest unsettled one before it is held.
        var ledgerWindowLimit: Int64
        /// Milestones waiting for the referee store before the partitions feeding them are
        /// held (each costs its record, about a kilobyte).
        var gatedLimit: Int = 50_000
    }

    /// Where a started record is.
    enum Place: Sendable, Hashable {
        /// Holding a slot.
        case window
        /// Waiting without a slot.
        case parked
        /// Woken, queued for a slot (with the waiter to resume).
        case resuming(UInt64)
    }

    /// What the owner must do after a transition.
    struct Actions: Sendable {
        /// Records to start now (each holds a slot).
        var start: [RelayWorkItem] = []
        /// Parked deliveries given their slot back: resume their waiters.
        var resume: [UInt64] = []
        /// Idle waiters whose partitions have no work left.
        var idle: [UInt64] = []
        /// The held partitions changed: apply ``RelayScheduler/heldPartitions``.
        var holdsChanged = false
        /// A partition was read too far past a held record (to log once).
        var overlong: [(partition: KafkaTopicPartition, window: Int64)] = []
    }

    /// What became of a consumed record.
    enum Intake: Sendable, Hashable {
        /// Waiting for, or holding, a slot.
        case queued
        /// Not a referral: settled at once.
        case skipped
        /// Settled by this group before the last restart or rebalance (commit metadata).
        case settledEarlier
        /// Delivered a second time by the client inside one assignment: ignored.
        case redelivered
        /// Draining: not taken (unsettled, so redelivered after the restart).
        case dropped
    }

    let limits: Limits
    /// The topic whose records others may wait for (account-created: `registered`).
    let dependencyTopic: String

    var ledger = OffsetLedger()
    /// Records waiting for a slot, in intake order.
    var ready = Deque<RelayWorkItem>()
    /// Woken deliveries waiting for a slot, in wake order.
    var resuming = Deque<(ticket: OffsetTicket, waiter: UInt64)>()
    /// Every started, unfinished record.
    var started: [OffsetTicket: Place] = [:]
    /// Deliveries holding a slot.
    var inWindow = 0
    /// Deliveries parked (without a slot, not yet woken).
    var parked = 0
    /// Started records per partition (for idle waits).
    var startedPerPartition: [KafkaTopicPartition: Int] = [:]
    /// Which queue the next free slot serves when both wait: new records and woken ones alternate.
    var resumingTurn = false
    /// Waiters for "no started work of these partitions (all when `nil`)".
    var idleWaiters: [UInt64: Set<KafkaTopicPartition>?] = [:]
    var assigned: Set<KafkaTopicPartition> = []
    /// Unsettled work of the dependency topic (the `registered` events), with each record's
    /// timestamp and account: a `qualified` keeps waiting while an older one may still land,
    /// or while its own account's is being sent.
    var dependencyWork = UnsettledRegistrations()
    /// Read position per partition: the last record's timestamp (milliseconds), if it had one.
    var lastReadTimestamp: [KafkaTopicPartition: Int64] = [:]
    /// Held because a whole window waits in ``ready``.
    var holdingAll = false
    /// Held because ``Limits/parkedLimit`` deliveries are parked.
    var holdingParkedSources = false
    /// Partitions feeding parked deliveries or records waiting for a breaker now (see
    /// ``parkedPerPartition``).
    var parkedSources: Set<KafkaTopicPartition> {
        Set(self.parkedPerPartition.keys).union(self.blocked.perPartition.keys)
    }
    /// Parked or woken deliveries per partition (started, waiting outside the window). Counted,
    /// not remembered: a partition whose last such record went on is no longer held for the
    /// parked limit. Remembered until nothing at all was parked, the `account-created`
    /// partitions that fed breaker-blocked `registered` in an outage stayed held after it while
    /// `qualified` parked waiting for the very `registered` still unread there: a deadlock
    /// (bench row 11, once milestones were read faster; docs/DESIGN.md, tenth session).
    var parkedPerPartition: [KafkaTopicPartition: Int] = [:]
    /// The sources held for the parked limit (assigned ones, while ``holdingParkedSources``),
    /// as the holds were last worked out.
    var heldParkedSources: Set<KafkaTopicPartition> = []
    /// Records waiting for an MMOLove server's breaker to close; they count as parked.
    var blocked = BlockedServers()
    /// Milestones waiting for the referee store.
    var gate = RefereeGate()
    /// Held because ``Limits/gatedLimit`` milestones wait for the store.
    var holdingGatedSources = false
    /// Partitions read too far past their oldest unsettled record.
    var overlong: Set<KafkaTopicPartition> = []
    /// Draining: records are no longer taken.
    var stopping = false

    /// Creates an empty scheduler.
    init(limits: Limits, dependencyTopic: String) {
        self.limits = Limits(
            maxInFlight: max(1, limits.maxInFlight),
            parkedLimit: max(1, limits.parkedLimit),
            ledgerWindowLimit: max(1, limits.ledgerWindowLimit),
            gatedLimit: max(1, limits.gatedLimit))
        self.dependencyTopic = dependencyTopic
    }

    /// Records waiting for a slot.
    var waiting: Int { self.ready.count }

    /// Whether records taken are not settled yet: waiting for a slot, started (in the window,
    /// parked or resuming), or waiting for the referee store in ``gate`` or for a breaker in
    /// ``blocked`` (no task and no slot, but not done either).
    var hasWork: Bool {
        !self.ready.isEmpty || !self.started.isEmpty || self.gate.count > 0 || self.blocked.count > 0
    }

    /// The assigned partitions that must not be read now.
    var heldPartitions: Set<KafkaTopicPartition> {
        if self.holdingAll { return self.assigned }
        var held = self.assigned.intersection(self.overlong)
        held.formUnion(self.heldParkedSources)
        if self.holdingGatedSources { held.formUnion(self.assigned.intersection(self.gatedSources)) }
        return held
    }

    /// The held partitions whose hold ends only when records already taken settle (read too
    /// far past a held record, or feeding parked deliveries): a reader that waits for their next
    /// record before handing over others (a backfill's timestamp merge) must not wait for them.
    /// A hold of all partitions for a full window is not among them: it ends as the window drains.
    var heldUntilSettled: Set<KafkaTopicPartition> {
        var held = self.assigned.intersection(self.overlong)
        held.formUnion(self.heldParkedSources)
        if self.holdingGatedSources { held.formUnion(self.assigned.intersection(self.gatedSources)) }
        return held
    }
}
