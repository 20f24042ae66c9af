import Foundation
import Logging
import ReferralKit
import Relay
import ServiceLifecycle

/// The relay run in this process as the demo runs it: the services of `buildRelay` in their
/// own `ServiceGroup`, stopped with a graceful shutdown (as SIGTERM would).
enum InProcessRelay {
    /// The secret the relay signs with; the sink never checks it.
    static let secret = ReferralSecret("whsec_bench_not_a_real_secret")

    /// The relay's configuration for a row: the product defaults, except the ops server on a
    /// free loopback port, warnings-only logs, a short drain (shutdown only) and whatever
    /// `properties` a row passes through.
    static func configuration(
        brokers: [String],
        groupID: String,
        endpoint: String,
        properties: [String: String] = [:]
    ) -> RelayConfiguration {
        var configuration = RelayConfiguration(
            kafka: .init(
                brokers: brokers,
                groupID: groupID,
                topics: .init(
                    accountCreated: BenchBroker.Topic.accountCreated,
                    milestoneReached: BenchBroker.Topic.milestoneReached,
                    outcomes: BenchBroker.Topic.outcomes,
                    dlq: BenchBroker.Topic.dlq
                ),
                properties: properties
            ),
            mmolove: .init(
                endpoint: endpoint,
                defaultServerID: InputRecords.serverID,
                credentials: ReferralCredentials(serverID: InputRecords.serverID, secret: Self.secret)
            ),
            qualifyingMilestones: [InputRecords.qualifyingMilestone],
            opsPort: 0,
            opsHost: "127.0.0.1",
            logLevel: .warning,
            drainTimeout: .seconds(5)
        )
        // The referee store's copy on a directory of its own each run (the broker is new each run).
        configuration.referees.directory =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "referral-relay-bench-referees-\(UUID().uuidString)"
            ).path
        // Diagnosis only: `BENCH_NO_STORE=1` runs the in-process relays with the referee store off.
        if ProcessInfo.processInfo.environment["BENCH_NO_STORE"] != nil { configuration.referees.enabled = false }
        return configuration
    }

    /// Runs a relay, calls `body` with its ops port once it listens, then shuts the relay down
    /// gracefully and waits for it.
    ///
    /// - Throws: What `body` throws, or what the relay threw (e.g. a client it could not create).
    static func withRunning<Result: Sendable>(
        configuration: RelayConfiguration,
        logger: Logger,
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        // The store's copy is the run's alone (see `configuration`): removed with it.
        defer {
            if configuration.referees.enabled, let directory = configuration.referees.directory {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let services = try buildRelay(configuration: configuration, logger: logger) { port in
            listening.yield(port)
            listening.finish()
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { tasks in
            tasks.addTask {
                defer { listening.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.waitForAll()
                throw BenchError("the relay stopped before its ops server listened")
            }
            let result: Result
            do {
                result = try await body(port)
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
