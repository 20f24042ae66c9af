import Kafka
import Logging
import Synchronization

/// The relay's core loop: reads both input topics through one consumer-group member, decides
/// each record (``RelayInputMapper``), delivers referral events with many accounts in flight at
/// once, publishes outcomes and dead letters, and commits each partition only up to its
/// settled prefix.
///
/// Every consumed record ends in exactly one of: settled as skipped (counted), settled behind a
/// broker-acknowledged outcome (and dead letter when rejected or failed), settled behind a
/// dead letter (malformed), or unsettled and therefore uncommitted (redelivered later).
///
/// Which record runs when is decided by ``RelayScheduler``, a value under this type's lock;
/// its transitions return actions that are carried out after the lock is released (start a
/// record's task in its ``PartitionWorker``, resume a waiter, change the held partitions).
/// Commits happen every ``RelayConfiguration/commitInterval``, when partitions are revoked
/// (after their work settles, bounded) and at shutdown. On graceful shutdown intake stops,
/// waiting records are dropped (uncommitted), started work gets
/// ``RelayConfiguration/drainTimeout`` to settle and is then abandoned, the settled prefix is
/// committed, and the member leaves the group.
public final class RelayPipeline: Sendable {
    /// Everything the pipeline mutates, under one lock (no awaits inside, no effects inside).
    struct State: Sendable {
        var scheduler: RelayScheduler
        /// One per assigned partition.
        var workers: [KafkaTopicPartition: PartitionWorker] = [:]
        /// Parked deliveries waiting for a window slot again.
        var slotWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        /// Callers waiting until some partitions have no started work.
        var idleWaiters: [UInt64: IdleWaiter] = [:]
        var nextWaiter: UInt64 = 0
        /// Counts changes of the held partitions, so they are applied in order.
        var holdsVersion: UInt64 = 0
        /// The in-flight count last handed to the gauge.
        var reportedInFlight = 0
        var failure: (any Error & Sendable)?
        /// A backfill's timestamp merge (``ReplayRun``); `nil` for the live relay.
        var merge: TimestampMerge?
        /// Partitions the merge holds (full, or read to their end), on top of the scheduler's.
        var mergeHeld: Set<KafkaTopicPartition> = []
        /// A backfill settled every record of its window.
        var replayCompleted = false
        /// Records of a backfill's window an earlier run of its name committed (resumed past).
        var replayResumed: Int64 = 0
        /// This member's `account-created` progress, for the referee store.
        var refereeProgress = RefereeProgressTracker()

        mutating func newWaiter() -> UInt64 {
            self.nextWaiter &+= 1
            return self.nextWaiter
        }
    }

    /// An idle wait, registered before its continuation exists so a wake-up is never lost.
    enum IdleWaiter: Sendable {
        case pending
        case done
        case waiting(CheckedContinuation<Void, Never>)
    }

    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let mapper: RelayInputMapper
    let deliverer: Deliverer
    let publisher: OutcomePublisher
    let metrics: RelayMetrics
    let health: RelayHealth
    let logger: Logger
    let topics: RelayConfiguration.Topics
    let commitInterval: Duration
    let drainTimeout: Duration
    /// How long a revocation waits for its partitions' started work before abandoning it;
    /// below the consumer's revocation timeout so the commit still lands before the release.
    let revocationDrain: Duration
    let state: Mutex<State>
    /// Served by the one task that commits (``run()``'s commit loop).
    let commits = CommitRequests()
    /// The version of the holds last applied to the consumer.
    let appliedHolds = Mutex<UInt64>(0)
    /// Partition workers to run (children of ``run()``).
    let spawns: AsyncStream<PartitionWorker>
    let spawn: AsyncStream<PartitionWorker>.Continuation
    /// Ends the intake: graceful shutdown, a fatal error, or the consumer closing.
    let stops: AsyncStream<Void>
    let stop: AsyncStream<Void>.Continuation
    /// The backfill this pipeline runs, if it is one (else it is the live relay).
    let replay: ReplayRun?
    /// What a backfill did so far (counted for the live relay too, where nothing reads it).
    public let tally: ReplayTally
    /// Serialises the backfill merge's hand-over, so records enter the scheduler in merge order.
    let mergeHandover = Mutex<Void>(())
    /// What holds records in ``OutcomePublisher`` (for the held-partition readiness check).
    let publishProblems: PublishProblems
    /// Since when each partition's oldest unsettled record has held its commit.
    let heldPartitions = Mutex(HeldPartitions())
    /// How long a partition may be held before `/readyz` says so.
    let heldPartitionReadiness: Duration
    /// The referee store, when it runs.
    let referees: RefereeStore?
    /// How long a milestone without `mmref` waits for its account to reach the store.
    let refereeWait: Duration
    /// How long a `qualified` waits for its account's registration to end.
    let qualifiedWait: Duration
    /// Wakes those waits when the store applies a record of their account.
    let registrationWakeups = AccountWakeups()
    /// The `registered` of accounts the store does not know, while MMOLove answers them.
    let registrationsInFlight = Mutex(RegistrationsInFlight<DeliveryRequest, PendingWrite>())
    /// Whether the consumer reads `read_committed` (its lag then ends at the last stable offset).
    let readCommitted: Bool
    /// How often the live relay logs its `relay progress` summary.
    let progressInterval: Duration
    /// Each record's consumer span, when tracing is on.
    let tracer: RelayTracer
    /// The consumer group, named on each record's consumer span.
    let groupID: String

    /// Creates the pipeline over an existing consumer and producer, which it then owns: ``run()``
    /// subscribes, and closes both at the end.
    ///
    /// - Parameters:
    ///   - configuration: Topics, milestones, window, intervals.
    ///   - consumer: A consumer configured for the group (not yet subscribed).
    ///   - producer: The producer for outcomes and dead letters.
    ///   - deliverer: Sends referral events to MMOLove.
    ///   - metrics: The relay's metrics.
    ///   - health: Readiness and liveness state.
    ///   - revocationDrain: Bound on waiting for a revoked partition's started work.
    ///   - ledgerWindowLimit: Records read past a partition's oldest unsettled one before its
    ///     reading is held.
    ///   - replay: A backfill to run instead of the live relay (see ``ReplayRun``).
    ///   - tracer: Each record's consumer span, and the trace context of its outcome and dead
    ///     letter (see ``RelayTracer``).
    ///   - logger: Where pipeline logs go.
    public init(
        configuration: RelayConfiguration,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        deliverer: Deliverer,
        metrics: RelayMetrics,
        health: RelayHealth,
        revocationDrain: Duration = .seconds(7),
        ledgerWindowLimit: Int64 = 100_000,
        replay: ReplayRun? = nil,
        referees: RefereeStore? = nil,
        tracer: RelayTracer = .disabled,
        logger: Logger
    ) {
        let maxInFlight = max(1, configuration.delivery.maxInFlight)
        let limits = RelayScheduler.Limits(
            maxInFlight: maxInFlight,
            // Parked deliveries cost a task each and no slot: allow many before holding input.
            parkedLimit: max(1_024, 16 * maxInFlight),
            ledgerWindowLimit: ledgerWindowLimit
        )
        self.state = Mutex(
            State(scheduler: RelayScheduler(limits: limits, dependencyTopic: configuration.kafka.topics.accountCreated))
        )
        self.replay = replay
        let tally = ReplayTally()
        self.tally = tally
        self.consumer = consumer
        self.producer = producer
        self.topics = configuration.kafka.topics
        var mapper = RelayInputMapper(
            topics: configuration.kafka.topics,
            qualifyingMilestones: configuration.qualifyingMilestones,
            defaultServerID: configuration.mmolove.defaultServerID,
            testEvents: configuration.mmolove.testEvents
        )
        mapper.maxInputBytes = configuration.maxInputBytes
        mapper.maxOutcomeBytes = configuration.kafka.messageMaxBytes
        mapper.tokensFromStore = referees != nil
        self.referees = referees
        self.refereeWait = configuration.referees.wait
        self.qualifiedWait = configuration.delivery.qualifiedWait
        self.mapper = mapper
        self.deliverer = deliverer
        let problems = PublishProblems()
        self.publishProblems = problems
        self.publisher = OutcomePublisher(
            producer: producer,
            topics: configuration.kafka.topics,
            metrics: metrics,
            replayName: replay?.window.name,
            tally: tally,
            logger: logger,
            maxRecordBytes: configuration.kafka.messageMaxBytes,
            unknownTopicGrace: configuration.unknownTopicGrace,
            problems: problems,
            tracer: tracer
        )
        self.tracer = tracer
        self.groupID = configuration.kafka.groupID
        self.metrics = metrics
        self.health = health
        self.logger = logger
        self.commitInterval = configuration.commitInterval
        self.drainTimeout = configuration.drainTimeout
        self.revocationDrain = revocationDrain
        self.heldPartitionReadiness = configuration.heldPartitionReadiness
        self.readCommitted = ConsumerLag.readsCommitted(properties: configuration.kafka.properties)
        self.progressInterval = configuration.progressInterval
        (self.spawns, self.spawn) = AsyncStream.makeStream(of: PartitionWorker.self)
        (self.stops, self.stop) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        deliverer.breakers.onChange { [weak self] server in self?.breakerChanged(server) }
    }
}
