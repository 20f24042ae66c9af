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
    }

    /// Everything the pipeline mutates, under one lock (no awaits inside).
    struct State: Sendable {
        var ledger = OffsetLedger()
        var backlog = WorkQueue<Item>()
        var running: [OffsetTicket: Task<Void, Never>] = [:]
        var assigned: Set<KafkaTopicPartition> = []
        var paused = false
        var stopping = false
        var intake: Task<Void, any Error>?
        var failure: (any Error & Sendable)?
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
    let state = Mutex(State())
    let commitLock = AsyncLock()
    let fetchDesires: AsyncStream<Bool>
    let fetchDesire: AsyncStream<Bool>.Continuation

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
    ///   - logger: Where pipeline logs go.
    public init(
        configuration: RelayConfiguration,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        deliverer: Deliverer,
        metrics: RelayMetrics,
        health: RelayHealth,
        revocationDrain: Duration = .seconds(7),
        logger: Logger
    ) {
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
        (self.fetchDesires, self.fetchDesire) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .unbounded)
    }

    /// Backlog size at which fetching pauses: a whole window is waiting behind a full window.
    var pauseThreshold: Int { self.maxInFlight }
    /// Backlog size at which fetching resumes.
    var resumeThreshold: Int { self.maxInFlight / 2 }
}
