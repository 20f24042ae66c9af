import Logging
import Relay
import ServiceLifecycle
import Synchronization

/// The relay as the demo runs it: the services of `buildRelay` in their own `ServiceGroup`, so
/// the demo can shut it down gracefully (as SIGTERM would) while the broker and sandbox live on
/// for the checks.
final class DemoRelay: Sendable {
    /// How far the relay got.
    struct Status: Sendable {
        /// The ops server's port, once listening.
        var opsPort: Int?
        /// Whether `run()` has returned or thrown.
        var finished = false
        /// What it threw, if it did.
        var failure: String?
    }

    /// The status behind a lock, shared with the ops-listening callback.
    private final class StatusBox: Sendable {
        let mutex = Mutex(Status())

        func withLock<T>(_ body: (inout Status) -> T) -> T { self.mutex.withLock { body(&$0) } }
    }

    private let group: ServiceGroup
    private let state = StatusBox()
    /// The relay's pipeline, for its counts.
    private let pipeline: RelayPipeline?

    /// Creates the services (not started).
    ///
    /// - Throws: A Kafka client that cannot be created.
    init(configuration: RelayConfiguration, logger: Logger) throws {
        let state = self.state
        let services = try buildRelay(configuration: configuration, logger: logger) { port in
            state.withLock { $0.opsPort = port }
        }
        self.group = ServiceGroup(configuration: .init(services: services, logger: logger))
        self.pipeline = services.lazy.compactMap { $0 as? RelayPipeline }.first
    }

    /// Input records the relay has skipped (not referral events) so far.
    var skipped: Int { self.pipeline?.tally.snapshot.skipped.values.reduce(0, +) ?? 0 }

    /// How far the relay got.
    var status: Status { self.state.withLock { $0 } }

    /// Runs the relay until ``shutdown()`` (or until it fails); never throws, records the failure.
    func run() async {
        do {
            try await self.group.run()
            self.state.withLock { $0.finished = true }
        } catch {
            self.state.withLock {
                $0.finished = true
                $0.failure = "\(error)"
            }
        }
    }

    /// Starts the graceful shutdown: stop intake, drain, commit, leave the group.
    func shutdown() async {
        await self.group.triggerGracefulShutdown()
    }
}
