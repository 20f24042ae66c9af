import Foundation
import Kafka
import ReferralKit
import Relay
import ServiceLifecycle
import Synchronization
import Testing

/// A relay told to stop while its broker is gone stops within its timeouts. A send waits for
/// its delivery report, which a vanished broker sends only when `message.timeout.ms` (300 s)
/// runs out; with a referee progress record in flight the relay hung for those five minutes
/// after SIGTERM (found by hand: broker killed, then the relay).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RelayShutdownBrokerGoneTests {
    /// Set once; read from any task.
    final class OneTimeFlag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { self.value.withLock { $0 } }
        func set() { self.value.withLock { $0 = true } }
    }

    typealias H = RelayGroupHarness

    @Test func aRelayStopsPromptlyWhenItsBrokerIsGone() async throws {
        let cluster = try await H.cluster(partitions: 2)
        let secret = ReferralSecret("gone-\(UUID().uuidString)")
        try await RelayRefereeStoreTests.produce(
            cluster, (0..<20).map { RelayRefereeStoreTests.created("gone-\($0)", token: "mmref_\($0)") })
        try await H.withSandbox(secret: secret) { _, address, _ in
            var configuration = H.configuration(
                cluster: cluster, group: "gone-\(UUID().uuidString)", sandbox: address, secret: secret)
            configuration.referees.enabled = true
            let relay = ServiceGroup(
                services: try buildRelay(configuration: configuration, logger: H.logger), logger: H.logger)
            let stopped = OneTimeFlag()
            let run = Task {
                defer { stopped.set() }
                try await relay.run()
            }
            _ = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 20 }
            // The store's progress is written four times a second: one is in flight or queued
            // when the broker goes.
            try await cluster.setBrokerDown(1)
            try await Task.sleep(for: .seconds(1))
            let asked = ContinuousClock.now
            await relay.triggerGracefulShutdown()
            // Drain, final commit and the producer's 10 s flush; 300 s a record before. Polled,
            // so that a relay that hangs fails the test instead of hanging it (the wait it
            // hangs in cannot be cancelled).
            while !stopped.isSet, ContinuousClock.now - asked < .seconds(60) {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(stopped.isSet, "still running \(ContinuousClock.now - asked) after the shutdown request")
            if stopped.isSet { _ = try? await run.value }
        }
    }
}
