import Foundation
import Hummingbird
import Logging
import NIOCore
import ReferralKit
import ServiceLifecycle

/// The local MMOLove endpoint: `POST /api/referral/events` exactly as CONTRACT.md describes, plus
/// `/_sandbox/…` routes for the delivery log, counters, faults and reset. A `Service`, so it runs in
/// a `ServiceGroup` and shuts down gracefully.
///
/// Routes:
/// - `POST /api/referral/events`: the contract endpoint (see ``SandboxState/receive(_:now:)``).
/// - `GET /_sandbox/log`: the last ``SandboxConfiguration/logCapacity`` requests (default 10 000,
///   `log_capacity` in the file; older ones are dropped, the counters keep counting) as
///   ``SandboxLogEntry`` JSON (time, headers, raw body, status, verdict, answer), oldest first.
/// - `GET /_sandbox/stats`: ``SandboxStats`` (by status, by verdict, accepted by event).
/// - `GET`/`PUT /_sandbox/faults`: read or replace ``SandboxFaults`` (snake_case JSON, absent keys
///   default to "no fault"); a `PUT` restarts the "first N" counters.
/// - `POST /_sandbox/reset`: forget referrals, keys, log and counters; restore configured faults.
///
/// A request body over Hummingbird's default upload limit (2 MiB) is answered 413 before it
/// reaches the state, the log or the counters, so a runaway sender cannot grow the sandbox's memory.
///
/// Start it on port 0 in tests and learn the bound address from `onListening`.
public struct SandboxServer: Service {
    /// The configuration it was started with.
    public let configuration: SandboxConfiguration
    /// The state, readable in-process (tests) and over `/_sandbox/…`.
    public let store: SandboxStore
    let clock: ReferralClock
    let logger: Logger
    private let onListening: @Sendable (SandboxAddress) async -> Void

    /// Creates the sandbox.
    ///
    /// - Parameters:
    ///   - configuration: A validated configuration.
    ///   - clock: The clock the replay window is judged against.
    ///   - logger: The server's logger (per-request logs at debug); silent by default.
    ///   - onListening: Called once with the bound address.
    public init(
        configuration: SandboxConfiguration,
        clock: ReferralClock = .system,
        logger: Logger = Logger(label: "referral-sandbox", factory: { _ in SwiftLogNoOpLogHandler() }),
        onListening: @escaping @Sendable (SandboxAddress) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.store = SandboxStore(configuration: configuration)
        self.clock = clock
        self.logger = logger
        self.onListening = onListening
    }

    /// Serves until cancelled or gracefully shut down.
    ///
    /// - Throws: When binding fails.
    public func run() async throws {
        let router = Router(context: SandboxRequestContext.self)
        self.addRoutes(to: router)
        let host = self.configuration.host
        let onListening = self.onListening
        let logger = self.logger
        let application = Application(
            router: router,
            configuration: .init(
                address: .hostname(host, port: self.configuration.port), serverName: "referral-sandbox"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info(
                    "sandbox listening",
                    metadata: [SandboxLogMetadata.host: "\(host)", SandboxLogMetadata.port: "\(port)"])
                await onListening(SandboxAddress(host: host, port: port))
            },
            logger: logger
        )
        try await application.run()
    }
}
