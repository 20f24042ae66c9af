import Hummingbird
import Logging
import ServiceLifecycle

/// The ops HTTP server: `/healthz`, `/readyz` and `/metrics` for the kubelet and Prometheus.
///
/// Routes:
/// - `GET /healthz`: 200 `{"status":"ok"}` while ``RelayHealth/Snapshot/isLive``, else 503 with
///   the fatal reason.
/// - `GET /readyz`: 200 while ``RelayHealth/Snapshot/isReady``, else 503; the body is the
///   snapshot (joined, assigned partitions, systemic failure, draining, fatal) so an operator sees
///   why.
/// - `GET /metrics`: ``RelayTelemetry/exposition()`` as `text/plain; version=0.0.4`.
/// - anything else: 404.
///
/// - Important: While the relay drains (up to its drain timeout) the probes must keep
///   answering, `/readyz` with 503 so no new traffic is routed, `/healthz` with 200 so the
///   kubelet does not kill the pod mid-drain. So the ops server comes first in the relay's
///   services (``buildRelay(configuration:logger:onOpsListening:)``): a `ServiceGroup` shuts its
///   services down in reverse order, and the server is told to stop only once the pipeline has
///   drained.
public struct OpsServer: Service {
    let host: String
    let port: Int
    let health: RelayHealth
    let telemetry: RelayTelemetry
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    /// Creates the server.
    ///
    /// - Parameters:
    ///   - host: The bind address (`0.0.0.0` in a pod, `127.0.0.1` in tests).
    ///   - port: The port; 0 picks a free one, reported through `onListening`.
    ///   - health: What the probes answer from.
    ///   - telemetry: What `/metrics` renders.
    ///   - logger: The server's logger.
    ///   - onListening: Called once with the bound port.
    public init(
        host: String,
        port: Int,
        health: RelayHealth,
        telemetry: RelayTelemetry,
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void
    ) {
        self.host = host
        self.port = port
        self.health = health
        self.telemetry = telemetry
        self.logger = logger
        self.onListening = onListening
    }

    /// Serves until graceful shutdown (then finishes the requests in progress) or cancellation.
    ///
    /// - Throws: When binding fails.
    public func run() async throws {
        try await self.makeApplication().run()
    }

    private func makeApplication() -> some ApplicationProtocol {
        let router = Router()
        self.addRoutes(to: router)
        let host = self.host
        let onListening = self.onListening
        let logger = self.logger
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: self.port), serverName: "referral-relay"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info(
                    "ops server listening", metadata: [OpsLogMetadata.host: "\(host)", OpsLogMetadata.port: "\(port)"])
                onListening(port)
            },
            logger: logger
        )
    }
}
