import Foundation
import Kafka
import Logging
import ReferralKit
import ServiceLifecycle

/// Builds the relay as the services of one `ServiceGroup`, in start order: the ops server, the
/// trace exporter (when tracing is on), the secret file watcher (when a secret comes from a
/// file), the pooled HTTP client, the pipeline (which owns the Kafka consumer and producer).
///
/// A `ServiceGroup` shuts its services down in reverse order, one after the other: on SIGTERM
/// the pipeline drains, commits and leaves the group first, then the HTTP client closes, the
/// trace exporter flushes the spans the drain ended, and the ops server stops last, so
/// `/readyz` (503, draining) and `/healthz` answer throughout the drain. `referral-relay run`, the demo and the tests all run these services.
///
/// ```swift
/// let group = ServiceGroup(configuration: .init(
///     services: try buildRelay(configuration: configuration, logger: logger),
///     gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()
/// ```
///
/// - Parameters:
///   - configuration: A validated configuration.
///   - logger: The root logger.
///   - redactor: The process's log redactor (``RelayLogging/bootstrap(configuration:)``), taught
///     every secret a rotation loads; `nil` when the logs are not redacted by one.
///   - tracing: Trace export (``RelayTracing/fromEnvironment(_:logger:)``); `nil`: no tracing.
///   - onOpsListening: Told the bound ops port (port 0 picks a free one).
/// - Returns: The services, in start order.
/// - Throws: A Kafka client that cannot be created, or an endpoint that is not http(s).
public func buildRelay(
    configuration: RelayConfiguration,
    logger: Logger,
    redactor: LogRedactor? = nil,
    tracing: RelayTracing? = nil,
    onOpsListening: @escaping @Sendable (Int) -> Void = { _ in }
) throws -> [any Service] {
    let tracer = tracing?.tracer ?? .disabled
    let telemetry = RelayTelemetry()
    let metrics = RelayMetrics(
        factory: telemetry.factory, serverIDs: configuration.mmolove.credentials.serverIDs)
    let health = RelayHealth()
    // Opens nothing until the first request: nothing to close if a later part fails.
    let connectionPool = try relayConnectionPool(configuration)
    let deliverer = Deliverer(
        mmolove: configuration.mmolove,
        delivery: configuration.delivery,
        connectionPool: connectionPool,
        metrics: metrics,
        health: health,
        logger: logger,
        tracer: tracer
    )
    var consumerConfiguration = configuration.consumerConfiguration(clientID: relayClientID)
    consumerConfiguration.statisticsInterval = RelayConfiguration.consumerStatisticsInterval
    let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
    let producer = try KafkaProducer(
        configuration: configuration.producerConfiguration(clientID: relayClientID), logger: logger)
    let referees = try makeRefereeStore(configuration, producer: producer, logger: logger)
    let pipeline = RelayPipeline(
        configuration: configuration,
        consumer: consumer,
        producer: producer,
        deliverer: deliverer,
        metrics: metrics,
        health: health,
        referees: referees,
        tracer: tracer,
        logger: logger
    )
    let ops = OpsServer(
        host: configuration.opsHost,
        port: configuration.opsPort,
        health: health,
        telemetry: telemetry,
        logger: logger,
        onListening: onOpsListening
    )
    logger.info("relay starting", metadata: ["configuration": "\(configuration.redactedSummary)"])
    warnAboutUnscrubbableSecrets(configuration, logger: logger)
    if let tracing {
        logger.info("exporting traces over OTLP/HTTP", metadata: ["otlp.endpoint": "\(tracing.endpoint)"])
    }
    let watcher = secretFileWatcher(configuration, deliverer: deliverer, redactor: redactor, logger: logger)
    return [ops] + (tracing.map { [$0.service] } ?? []) + (watcher.map { [$0] } ?? [])
        + [ConnectionPoolService(pool: connectionPool), pipeline]
}

/// The watcher of the secret files, or `nil` when no secret came from a file: a rotated secret
/// is taught to `redactor` first (so nothing logged about it can show it), then signs the
/// deliverer's next attempts.
func secretFileWatcher(
    _ configuration: RelayConfiguration,
    deliverer: Deliverer,
    redactor: LogRedactor?,
    logger: Logger
) -> SecretFileWatcher? {
    guard !configuration.mmolove.secretFiles.isEmpty else { return nil }
    return SecretFileWatcher(
        files: configuration.mmolove.secretFiles,
        current: configuration.mmolove.credentials,
        interval: configuration.mmolove.secretPollInterval,
        logger: logger
    ) { serverID, secret in
        redactor?.learn(secret)
        deliverer.useSecret(secret, for: serverID)
    }
}

/// Warns, naming the setting and never the value, about secrets too short for the log redactor's
/// length rule (a single character: see ``KafkaSecretScrubber``).
func warnAboutUnscrubbableSecrets(_ configuration: RelayConfiguration, logger: Logger) {
    for name in KafkaSecretScrubber.unscrubbableProperties(
        in: configuration.kafka.properties.map { ($0.key, $0.value) })
    {
        logger.warning(
            "a secret librdkafka property is one character long and cannot be redacted from logs",
            metadata: ["kafka.property": "\(name)"])
    }
    let credentials = configuration.mmolove.credentials
    for serverID in credentials.serverIDs
    where credentials[serverID]?.withUnsafeValue({ $0.count < KafkaSecretScrubber.minimumTokenLength }) == true {
        logger.warning(
            "a referral secret is one character long and cannot be redacted from logs",
            metadata: ["mmolove.server": "\(serverID)"])
    }
}

/// `client.id` for both Kafka clients: the pod name (HOSTNAME) so broker logs tell members apart.
var relayClientID: String {
    ProcessInfo.processInfo.environment["HOSTNAME"].map { "referral-relay-\($0)" } ?? "referral-relay"
}

/// The keep-alive connections to MMOLove, as many kept idle as events may be in flight.
///
/// - Throws: ``ReferralError`` `invalidEndpoint` when the endpoint is not an http(s) URL, or
///   the system's TLS trust roots cannot be loaded.
func relayConnectionPool(_ configuration: RelayConfiguration) throws(ReferralError) -> ReferralConnectionPool {
    try ReferralConnectionPool(
        endpoint: configuration.mmolove.endpoint,
        maxIdleConnections: max(8, configuration.delivery.maxInFlight),
        connectTimeout: configuration.mmolove.connectTimeout
    )
}

/// The connection pool as a service: it stays open until graceful shutdown reaches it (after
/// the pipeline, which sends through it, has stopped), then closes its connections.
struct ConnectionPoolService: Service {
    let pool: ReferralConnectionPool

    func run() async throws {
        // Until graceful shutdown or cancellation, whichever comes first.
        try? await gracefulShutdown()
        await self.pool.shutdown()
    }
}

extension RelayPipeline: Service {}

/// The referee store of `configuration`, or `nil` when it is off: its local copy opened in its
/// directory, its own consumer (manual assignment of the referees topic, never committing) and
/// the relay's producer for its writes.
///
/// - Throws: When the local copy cannot be opened or the consumer created.
func makeRefereeStore(
    _ configuration: RelayConfiguration, producer: KafkaProducer, logger: Logger
) throws -> RefereeStore? {
    guard configuration.referees.enabled else { return nil }
    let topics = configuration.kafka.topics
    let directory = configuration.referees.resolvedDirectory(groupID: configuration.kafka.groupID)
    let database = try RefereeDatabase(directory: directory, topic: topics.referees)
    var consumerConfiguration = configuration.consumerConfiguration(clientID: relayClientID + "-referees")
    consumerConfiguration.groupID = configuration.kafka.groupID + "-referees"
    // Records are applied in batches of up to 1,000: a larger buffer keeps a restore fed.
    consumerConfiguration.bufferCapacity = 4_096
    // librdkafka's prefetch is per partition: with the input consumer's limits (2,000 records or
    // 2 MiB each, plus a 1 MiB fetch in flight), restoring 10 million accounts from 500 partitions
    // held 740 MiB. A restore reads at most `RefereeStore.restoreLimit` partitions at once, with
    // a megabyte of prefetch each (half a megabyte restored a million accounts at 40,000 a second
    // instead of 69,000: the reader outran the fetches).
    consumerConfiguration.prefetchRecordsPerPartition = 2_000
    consumerConfiguration.prefetchLimitKilobytes = 1_024
    if consumerConfiguration.properties["max.partition.fetch.bytes"] == nil {
        consumerConfiguration.properties["max.partition.fetch.bytes"] = "1048576"
    }
    // A milestone of a player who was not referred waits for a progress record to come back
    // through this consumer. A broker answers a fetch that finds nothing only after
    // `fetch.wait.max.ms` (librdkafka's default 500 ms) when no record arrives meanwhile; the
    // embedded broker then, whatever arrives: 100 ms bounds what that adds to the wait.
    if consumerConfiguration.properties["fetch.wait.max.ms"] == nil {
        consumerConfiguration.properties["fetch.wait.max.ms"] = "100"
    }
    let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
    return RefereeStore(
        topic: topics.referees, accountCreatedTopic: topics.accountCreated, directory: directory, database: database,
        producer: producer, consumer: consumer, logger: logger)
}
