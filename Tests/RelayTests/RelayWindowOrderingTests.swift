import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle
import Testing

/// `qualified` events waiting (422) for their `registered` must not take every slot of the
/// in-flight window: the `registered` events they wait for would queue behind them until the
/// wait runs out, and every one of them would end `rejected` (no reward) although its
/// `registered` was right there in the relay's backlog.
@Suite(.timeLimit(.minutes(2)))
struct RelayWindowOrderingTests {
    @Test func milestonesFillingTheWindowStillEndAdvancedOnceTheirAccountsArrive() async throws {
        let cluster = try await RelayGroupHarness.cluster(partitions: 1)
        let secret = ReferralSecret("window-test-secret-\(UUID().uuidString)")
        let group = "relay-window-\(UUID().uuidString)"
        let accounts = (0..<8).map { String(format: "acct-%04d", $0) }
        try await RelayGroupHarness.withSandbox(secret: secret) { sandbox, address, tasks in
            // A window of 4 and twice as many milestones arriving before their accounts.
            var configuration = RelayGroupHarness.configuration(
                cluster: cluster, group: group, sandbox: address, secret: secret, maxInFlight: 4)
            configuration.delivery.qualifiedWait = .seconds(10)
            // The 422 path: the referee store would hold the milestones back before any request.
            configuration.referees.enabled = false
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: RelayGroupHarness.logger
            )
            for account in accounts {
                let milestone = #"{"account_id":"\#(account)","milestone":"level_10","mmref":"mmref_\#(account)"}"#
                _ = try await producer.send(
                    KafkaProducerRecord(
                        topic: RelayGroupHarness.topics.milestoneReached,
                        key: Array(account.utf8),
                        value: Array(milestone.utf8)))
            }

            let relay = ServiceGroup(
                services: try buildRelay(configuration: configuration, logger: RelayGroupHarness.logger),
                logger: RelayGroupHarness.logger
            )
            tasks.addTask { try await relay.run() }
            // The window is full of `qualified` events MMOLove refuses until their `registered`.
            let deadline = ContinuousClock.now + .seconds(30)
            while Self.refusals(sandbox) < 4, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(Self.refusals(sandbox) >= 4, "the relay never got going")
            for account in accounts {
                let created = #"{"account_id":"\#(account)","mmref":"mmref_\#(account)"}"#
                _ = try await producer.send(
                    KafkaProducerRecord(
                        topic: RelayGroupHarness.topics.accountCreated,
                        key: Array(account.utf8),
                        value: Array(created.utf8)))
            }
            await producer.close()

            let outcomes = try await RelayGroupHarness.outcomes(cluster, timeout: .seconds(40)) { records in
                records.count >= accounts.count * 2
            }
            await relay.triggerGracefulShutdown()
            #expect(outcomes.count == accounts.count * 2)
            for outcome in outcomes {
                #expect(
                    outcome.status == .advanced, "\(outcome.serverEventID): \(outcome.status) \(outcome.error ?? "")")
            }
        }
    }

    /// `qualified` attempts MMOLove refused because the account has not registered yet.
    static func refusals(_ sandbox: SandboxServer) -> Int {
        sandbox.store.log.filter { $0.verdict == .invalidTransition }.count
    }
}
