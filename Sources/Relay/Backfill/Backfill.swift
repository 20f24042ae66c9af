import Kafka
import Logging
import ServiceLifecycle

/// A backfill built and ready to run: its services (run them in one `ServiceGroup`, in this
/// order) and the pipeline to read progress and counts from.
public struct Backfill: Sendable {
    /// The HTTP client and the pipeline, in start order. The pipeline ends by itself once the
    /// window is settled and then shuts the group down gracefully; a shutdown signal stops it
    /// early, committed where it got to.
    public var services: [ServiceGroupConfiguration.ServiceConfiguration]
    /// The pipeline in replay mode: ``RelayPipeline/replayProgress``,
    /// ``RelayPipeline/replayCompleted``, ``RelayPipeline/tally``.
    public var pipeline: RelayPipeline
    /// The window's offsets as found when the run started.
    public var plan: BackfillPlan
    /// The consumer group the run commits in.
    public var groupID: String

    /// The consumer group of a backfill run: the live group's name, `-backfill-`, the run name.
    /// Never the live group, so the live relay's offsets are never touched.
    public static func groupID(live: String, run: String) -> String { "\(live)-backfill-\(run)" }

    /// Builds a backfill of `window`: finds its offsets on the broker, then the same delivery
    /// path as `run` (signing, retries, classification, outcomes and dead letters) over a
    /// pipeline in replay mode.
    ///
    /// - Parameters:
    ///   - configuration: The relay's configuration (the live group id; this run's group is
    ///     derived from it).
    ///   - window: The time window and run name.
    ///   - rate: Referral events per second at most, if limited.
    ///   - redactor: The process's log redactor, taught every secret a rotation loads.
    ///   - logger: The root logger.
    /// - Throws: ``BackfillError`` for a missing input topic; ``KafkaError`` when the broker
    ///   cannot be asked.
    public static func build(
        configuration: RelayConfiguration,
        window: BackfillWindow,
        rate: Double?,
        redactor: LogRedactor? = nil,
        logger: Logger
    ) async throws -> Backfill {
        var configuration = configuration
        // `--rate` wins over the instance's own limit (the deliverer spaces every request).
        if let rate { configuration.delivery.rateLimit = rate }
        let groupID = Self.groupID(live: configuration.kafka.groupID, run: window.name)
        configuration.kafka.groupID = groupID
        let telemetry = RelayTelemetry()
        let metrics = RelayMetrics(
            factory: telemetry.factory, serverIDs: configuration.mmolove.credentials.serverIDs)
        let health = RelayHealth()
        let consumer = try KafkaConsumer(
            configuration: configuration.consumerConfiguration(clientID: relayClientID + "-backfill"), logger: logger)
        let plan: BackfillPlan
        do {
            plan = try await BackfillPlan.find(
                window,
                topics: [configuration.kafka.topics.accountCreated, configuration.kafka.topics.milestoneReached],
                consumer: consumer)
        } catch {
            await consumer.close()
            throw error
        }
        do {
            let connectionPool = try relayConnectionPool(configuration)
            let deliverer = Deliverer(
                mmolove: configuration.mmolove, delivery: configuration.delivery, connectionPool: connectionPool,
                metrics: metrics, health: health, logger: logger)
            let producer = try KafkaProducer(
                configuration: configuration.producerConfiguration(clientID: relayClientID + "-backfill"),
                logger: logger)
            // The referee store, so a replayed milestone without mmref finds its token. Its local
            // copy is this run's own (a live relay on the same machine keeps its own): by default
            // named after this run's group, or under an explicit directory.
            var storeConfiguration = configuration
            if let directory = configuration.referees.directory {
                storeConfiguration.referees.directory = directory + "/backfill-" + window.name
            }
            let referees = try makeRefereeStore(storeConfiguration, producer: producer, logger: logger)
            let pipeline = RelayPipeline(
                configuration: configuration, consumer: consumer, producer: producer, deliverer: deliverer,
                metrics: metrics, health: health,
                replay: ReplayRun(window: window, plan: plan, rate: rate), referees: referees, logger: logger)
            logger.info(
                "backfill starting",
                metadata: [
                    "run": "\(window.name)", "group": "\(groupID)",
                    "configuration": "\(configuration.redactedSummary)",
                ])
            // A long backfill outlives a rotation too.
            let watcher = secretFileWatcher(configuration, deliverer: deliverer, redactor: redactor, logger: logger)
            return Backfill(
                services: (watcher.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? []) + [
                    .init(service: ConnectionPoolService(pool: connectionPool)),
                    .init(service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                pipeline: pipeline, plan: plan,
                groupID: groupID)
        } catch {
            await consumer.close()
            throw error
        }
    }
}
