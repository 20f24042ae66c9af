import AsyncHTTPClient
import Foundation
import Kafka
import Logging
import ReferralKit
import ServiceLifecycle

/// The whole relay as one ServiceLifecycle `Service`: Kafka consumer and producer, the pooled
/// HTTP client and ``Deliverer``, the ``RelayPipeline``, and the ops HTTP server.
///
/// On graceful shutdown (SIGTERM/SIGINT through a `ServiceGroup`) the pipeline drains, commits
/// and leaves the group; the ops server keeps answering (`/readyz` says draining) until then.
public struct RelayService: Service {
    /// The configuration it runs with.
    public let configuration: RelayConfiguration
    /// Called with the bound ops port once the ops server listens (port 0 picks a free one).
    public let onOpsListening: @Sendable (Int) -> Void
    let logger: Logger

    /// Creates the service; nothing starts before ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: A validated configuration.
    ///   - logger: The root logger.
    ///   - onOpsListening: Told the bound ops port.
    public init(
        configuration: RelayConfiguration,
        logger: Logger,
        onOpsListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.onOpsListening = onOpsListening
    }

    /// Runs until graceful shutdown, then drains and stops.
    ///
    /// - Throws: A Kafka client that cannot be created, or a fatal Kafka error.
    public func run() async throws {
        let configuration = self.configuration
        let telemetry = RelayTelemetry()
        let metrics = RelayMetrics(factory: telemetry.factory)
        let health = RelayHealth()
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: Self.httpConfiguration(configuration)
        )
        do {
            try await self.run(telemetry: telemetry, metrics: metrics, health: health, httpClient: httpClient)
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try? await httpClient.shutdown()
    }

    private func run(
        telemetry: RelayTelemetry,
        metrics: RelayMetrics,
        health: RelayHealth,
        httpClient: HTTPClient
    ) async throws {
        let configuration = self.configuration
        let deliverer = try Deliverer(
            mmolove: configuration.mmolove,
            delivery: configuration.delivery,
            httpClient: httpClient,
            metrics: metrics,
            health: health,
            logger: self.logger
        )
        let consumer = try KafkaConsumer(
            configuration: configuration.consumerConfiguration(clientID: Self.clientID), logger: self.logger)
        let producer = try KafkaProducer(
            configuration: configuration.producerConfiguration(clientID: Self.clientID), logger: self.logger)
        let pipeline = RelayPipeline(
            configuration: configuration,
            consumer: consumer,
            producer: producer,
            deliverer: deliverer,
            metrics: metrics,
            health: health,
            logger: self.logger
        )
        let ops = OpsServer(
            host: configuration.opsHost,
            port: configuration.opsPort,
            health: health,
            telemetry: telemetry,
            logger: self.logger,
            onListening: self.onOpsListening
        )
        // The ops server must outlive the drain (probes and metrics during shutdown), so it runs
        // detached from the graceful-shutdown signal and is cancelled once the pipeline is done.
        let opsTask = Task.detached {
            do {
                try await ops.run()
            } catch  where !(error is CancellationError) && !Task.isCancelled {
                // Without its probes Kubernetes cannot tell a healthy relay from a stuck one:
                // a port that cannot be bound stops the relay (exit 1) instead of running blind.
                pipeline.fail(error)
            }
        }
        defer { opsTask.cancel() }
        self.logger.info("relay starting", metadata: ["configuration": "\(configuration.redactedSummary)"])
        try await pipeline.run()
    }

    /// `client.id` for both clients: the pod name (HOSTNAME) so broker logs tell members apart.
    static var clientID: String {
        ProcessInfo.processInfo.environment["HOSTNAME"].map { "referral-relay-\($0)" } ?? "referral-relay"
    }

    /// Pooled, redirect-refusing, sized for the in-flight window.
    static func httpConfiguration(_ configuration: RelayConfiguration) -> HTTPClient.Configuration {
        var http = HTTPClient.Configuration()
        http.redirectConfiguration = .disallow
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, configuration.delivery.maxInFlight)
        return http
    }
}
