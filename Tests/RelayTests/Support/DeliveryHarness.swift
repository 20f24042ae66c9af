import Foundation
import Logging
import Prometheus
import ReferralKit
import ReferralSandbox
import Relay
import Testing

/// Fixtures of the delivery tests: an in-process sandbox on 127.0.0.1 port 0, a ``Deliverer``
/// pointed at it over loopback, and the metrics and health it reports to.
struct DeliveryHarness {
    static let secret = ReferralSecret("whsec_test_3f9a1c")
    static let rotatedNew = ReferralSecret("rotated-secret-2", keyID: "k2")

    /// `srv_42` (one secret), `srv_rot` (a keyed secret), `srv_off` (referrals off);
    /// `mmr_gone` is an unknown token.
    static func sandboxConfiguration(faults: SandboxFaults = .none) -> SandboxConfiguration {
        SandboxConfiguration(
            port: 0,
            servers: [
                .init(id: "srv_42", secrets: [secret]),
                .init(id: "srv_rot", secrets: [rotatedNew]),
                .init(id: "srv_off", secrets: [secret], referralsEnabled: false),
            ],
            unknownTokens: ["mmr_gone"],
            faults: faults,
            seed: 42
        )
    }

    /// Short backoffs so retries take milliseconds.
    static func fastDelivery(
        maxAttempts: Int? = nil,
        qualifiedWait: Duration = .seconds(10)
    ) -> RelayConfiguration.Delivery {
        RelayConfiguration.Delivery(
            maxAttempts: maxAttempts,
            initialBackoff: .milliseconds(10),
            maxBackoff: .milliseconds(50),
            qualifiedWait: qualifiedWait
        )
    }

    let address: SandboxAddress
    let server: SandboxServer
    let deliverer: Deliverer
    let health: RelayHealth
    let registry: PrometheusCollectorRegistry

    /// Starts a sandbox, builds a deliverer against it, runs `body`, and stops the sandbox.
    ///
    /// - Parameters:
    ///   - faults: The sandbox's initial faults.
    ///   - credentials: What the relay signs with (default: the sandbox's `srv_42` secret).
    ///   - defaultServerID: The relay's default server.
    ///   - delivery: Retry settings (fast by default).
    ///   - signingClock: The relay's signing clock.
    ///   - logger: The deliverer's logger (silent by default).
    ///   - random: The deliverer's jitter source.
    ///   - body: The test.
    static func run<Result: Sendable>(
        faults: SandboxFaults = .none,
        credentials: ReferralCredentials = ReferralCredentials(serverID: "srv_42", secret: secret),
        defaultServerID: String? = nil,
        delivery: RelayConfiguration.Delivery = fastDelivery(),
        signingClock: ReferralClock = .system,
        logger: Logger = Logger(label: "delivery-tests", factory: { _ in SwiftLogNoOpLogHandler() }),
        random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
        _ body: (DeliveryHarness) async throws -> Result
    ) async throws -> Result {
        // Stopped gracefully after the body: cancelling a server that still has clients traps in NIO.
        return try await SandboxServer.withRunning(configuration: Self.sandboxConfiguration(faults: faults)) {
            server, address in
            let registry = PrometheusCollectorRegistry()
            let health = RelayHealth()
            let connectionPool = try ReferralConnectionPool(endpoint: address.eventsURL)
            let deliverer = Deliverer(
                mmolove: RelayConfiguration.MMOLove(
                    endpoint: address.eventsURL,
                    defaultServerID: defaultServerID,
                    credentials: credentials,
                    requestTimeout: .seconds(5)
                ),
                delivery: delivery,
                connectionPool: connectionPool,
                metrics: RelayMetrics(
                    factory: PrometheusMetricsFactory(registry: registry), serverIDs: credentials.serverIDs),
                health: health,
                logger: logger,
                signingClock: signingClock,
                random: random
            )
            let harness = DeliveryHarness(
                address: address, server: server, deliverer: deliverer, health: health, registry: registry)
            // Closed before the sandbox stops, whatever the body did.
            do {
                let result = try await body(harness)
                await connectionPool.shutdown()
                return result
            } catch {
                await connectionPool.shutdown()
                throw error
            }
        }
    }

    /// A request for `account` (server `srv_42` unless told).
    static func request(
        _ kind: ReferralEvent.Kind,
        account: String,
        mmref: String = "mmr_ok",
        serverID: String? = "srv_42",
        test: Bool = false
    ) -> DeliveryRequest {
        DeliveryRequest(
            kind: kind,
            accountID: account,
            mmref: mmref,
            serverID: serverID,
            serverEventID: (kind == .registered ? "reg-" : "qual-") + account,
            ts: 1_700_000_000,
            test: test,
            source: RecordSource(topic: "t", partition: 0, offset: 0, timestampMilliseconds: nil)
        )
    }

    /// The sandbox's log entries for one `server_event_id`, oldest first.
    func log(serverEventID: String) -> [SandboxLogEntry] {
        self.server.store.log.filter { $0.body.contains("\"server_event_id\":\"\(serverEventID)\"") }
    }

    /// The signing time `t` of a logged request.
    static func signingTime(_ entry: SandboxLogEntry) throws -> Int64 {
        let header = try #require(
            entry.headers.first { $0.first?.lowercased() == ReferralSignature.headerName.lowercased() })
        return try ReferralSignature(parsing: header[1]).timestamp
    }

    /// The value of one exported sample, e.g. `relay_delivery_retries_total{event="qualified",reason="systemic"}`.
    func metric(_ name: String, _ labels: [(String, String)] = []) -> Double? {
        Self.metric(in: self.registry, name, labels)
    }

    /// The value of one sample exported by `registry` (see ``metric(_:_:)``).
    static func metric(
        in registry: PrometheusCollectorRegistry,
        _ name: String,
        _ labels: [(String, String)] = []
    ) -> Double? {
        let text = registry.emitToString()
        let wanted = labels.map { "\($0.0)=\"\($0.1)\"" }
        for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            let series = String(parts[0])
            guard series == name || series.hasPrefix(name + "{") else { continue }
            if wanted.allSatisfy({ series.contains($0) }) { return Double(parts[1]) }
        }
        return nil
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    static func eventually(
        within timeout: Duration = .seconds(10),
        _ condition: () throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }
}
