import Kafka
import Logging
import Synchronization

/// The relay's core loop: reads both input topics through one consumer-group member, decides
/// each record (``RelayInputMapper``), delivers referral events with many accounts in flight at
/// once (bounded by a global window; intake pauses fetching when it is full), publishes
/// outcomes and dead letters, and commits each partition only up to its settled prefix.
///
/// Every consumed record ends in exactly one of: settled as skipped (counted), settled behind a
/// broker-acknowledged outcome (and dead letter when rejected or failed), settled behind a
/// dead letter (malformed), or unsettled and therefore uncommitted (redelivered later).
///
/// Commits happen every ``RelayConfiguration/commitInterval``, when partitions are revoked
/// (after their in-flight work settles, bounded) and at shutdown. On graceful shutdown intake
/// stops, waiting records are dropped (uncommitted), in-flight work gets
/// ``RelayConfiguration/drainTimeout`` to settle and is then abandoned, the settled prefix is
/// committed, and the member leaves the group.
public final class RelayPipeline: Sendable {
    /// A record waiting for, or holding, a slot in the in-flight window.
    struct Item: Sendable {
        var message: KafkaConsumerMessage
        var decision: RelayDecision
        var ticket: OffsetTicket
        /// Intake order, to start the two backlogs' records oldest first.
        var sequence: UInt64

        /// Whether the delivery may wait for another record of its account: a `qualified` (or
        /// `reversed`) answered 422 waits for the account's `registered`.
        var mayWait: Bool {
            if case .deliver(let request) = self.decision { return request.kind != .registered }
            return false
        }
    }

    /// Everything the pipeline mutates, under one lock (no awaits inside).
    struct State: Sendable {
        var ledger = OffsetLedger()
        /// Records waiting for a slot that never wait for others once started.
        var backlog = WorkQueue<Item>()
        /// Records waiting for a slot whose delivery may wait for another (see ``Item/mayWait``).
        var dependents = WorkQueue<Item>()
        var nextSequence: UInt64 = 0
        var running: [OffsetTicket: Task<Void, Never>] = [:]
        /// Running records that are not ``Item/mayWait``.
        var independentRunning = 0
        var assigned: Set<KafkaTopicPartition> = []
        /// Fetching paused for every assigned partition: ``backlog`` is full.
        var pausedAll = false
        /// Fetching paused for ``dependentSources``: ``dependents`` is full. The other
        /// partitions keep going, since they carry the `registered` events those wait for.
        var pausedDependents = false
        /// The partitions that delivered records to ``dependents``.
        var dependentSources: Set<KafkaTopicPartition> = []
        /// Partitions paused because too many records were read past their oldest unsettled
        /// one (a record held for long while the partition keeps flowing): the ledger keeps an
        /// entry per such record, so without this its memory would grow for as long as the hold.
        var overlongPartitions: Set<KafkaTopicPartition> = []
        var stopping = false
        var intake: Task<Void, Never>?
        var failure: (any Error & Sendable)?

        /// Records waiting for a slot.
        var waiting: Int { self.backlog.count + self.dependents.count }

        /// The assigned partitions whose fetching should be paused now.
        var pausedPartitions: Set<KafkaTopicPartition> {
            if self.pausedAll { return self.assigned }
            let overlong = self.assigned.intersection(self.overlongPartitions)
            if self.pausedDependents { return self.assigned.intersection(self.dependentSources).union(overlong) }
            return overlong
        }
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
    let maxInFlight: Int
    let commitInterval: Duration
    let drainTimeout: Duration
    /// How long a revocation waits for its partitions' in-flight work before abandoning it;
    /// below the consumer's revocation timeout so the commit still lands before the release.
    let revocationDrain: Duration
    /// Records read past a partition's oldest unsettled one before fetching it pauses (resumes
    /// at half); bounds the ledger at about 9 bytes per record.
    let ledgerWindowLimit: Int64
    let state = Mutex(State())
    let commitLock = AsyncLock()
    /// Signals that the partitions to pause (``State/pausedPartitions``) may have changed.
    let fetchDesires: AsyncStream<Void>
    let fetchDesire: AsyncStream<Void>.Continuation

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
    ///   - revocationDrain: Bound on waiting for a revoked partition's in-flight work.
    ///   - ledgerWindowLimit: Records read past a partition's oldest unsettled one before its
    ///     fetching pauses.
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
        logger: Logger
    ) {
        self.ledgerWindowLimit = max(1, ledgerWindowLimit)
        self.consumer = consumer
        self.producer = producer
        self.topics = configuration.kafka.topics
        self.mapper = RelayInputMapper(
            topics: configuration.kafka.topics,
            qualifyingMilestones: configuration.qualifyingMilestones,
            defaultServerID: configuration.mmolove.defaultServerID,
            testEvents: configuration.mmolove.testEvents
        )
        self.deliverer = deliverer
        self.publisher = OutcomePublisher(
            producer: producer,
            topics: configuration.kafka.topics,
            metrics: metrics,
            logger: logger
        )
        self.metrics = metrics
        self.health = health
        self.logger = logger
        self.maxInFlight = max(1, configuration.delivery.maxInFlight)
        self.commitInterval = configuration.commitInterval
        self.drainTimeout = configuration.drainTimeout
        self.revocationDrain = revocationDrain
        (self.fetchDesires, self.fetchDesire) = AsyncStream.makeStream(
            of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Backlog size (of either backlog) at which fetching pauses: a whole window is waiting
    /// behind a full window.
    var pauseThreshold: Int { self.maxInFlight }
    /// Backlog size (of either backlog) at which fetching resumes.
    var resumeThreshold: Int { self.maxInFlight / 2 }
}
