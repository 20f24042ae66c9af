import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle
import Synchronization
import Testing

/// The circuit breaker in a whole relay (embedded broker, sandbox over loopback): a proxy's HTML
/// 400s reject nothing, an outage costs probes rather than a retry per event, and one failing
/// server holds only its own events while readiness names it steadily.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RelayCircuitBreakerTests {
    typealias H = RelayGroupHarness

    /// One account-created and one qualifying milestone per account, for `server`.
    static func seed(_ cluster: MockCluster, accounts: [String], server: String? = nil) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]), logger: H.logger)
        let serverMember = server.map { #","server_id":"\#($0)""# } ?? ""
        try await withThrowingTaskGroup(of: Void.self) { group in
            for account in accounts {
                group.addTask {
                    let created = #"{"account_id":"\#(account)","mmref":"m_\#(account)"\#(serverMember)}"#
                    let milestone =
                        #"{"account_id":"\#(account)","milestone":"level_10","mmref":"m_\#(account)"\#(serverMember)}"#
                    _ = try await producer.send(
                        KafkaProducerRecord(
                            topic: H.topics.accountCreated, key: Array(account.utf8), value: Array(created.utf8)))
                    _ = try await producer.send(
                        KafkaProducerRecord(
                            topic: H.topics.milestoneReached, key: Array(account.utf8), value: Array(milestone.utf8)))
                }
            }
            try await group.waitForAll()
        }
        await producer.close()
    }

    /// Runs a relay over the sandbox (with `faults` from the start): `during` is called with the
    /// sandbox and the ops port.
    static func withRelay(
        secrets: [String: ReferralSecret],
        faults: SandboxFaults = .none,
        configure: (inout RelayConfiguration) -> Void = { _ in },
        cluster: MockCluster,
        _ during: (SandboxServer, Int) async throws -> Void
    ) async throws {
        let sandboxConfiguration = SandboxConfiguration(
            port: 0, servers: secrets.map { .init(id: $0.key, secrets: [$0.value]) }, faults: faults)
        try await SandboxServer.withRunning(configuration: sandboxConfiguration) { sandbox, address in
            var configuration = H.configuration(
                cluster: cluster, group: "breaker-\(UUID().uuidString)", sandbox: address,
                secret: secrets.first!.value)
            configuration.mmolove.credentials = ReferralCredentials(secrets)
            configure(&configuration)
            let port = Mutex<Int?>(nil)
            let relay = ServiceGroup(
                services: try buildRelay(configuration: configuration, logger: H.logger) { bound in
                    port.withLock { $0 = bound }
                },
                logger: H.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await relay.run() }
                while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
                try await during(sandbox, port.withLock { $0! })
                await relay.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    static func readiness(_ port: Int) async -> (ready: Bool, body: String) {
        guard let answer = try? await OpsHarness.get("http://127.0.0.1:\(port)/readyz") else { return (false, "") }
        return (answer.status == 200, answer.body)
    }

    @Test func aProxyAnswering400HTMLRejectsNothing() async throws {
        let cluster = try await H.cluster(partitions: 3)
        let accounts = (0..<100).map { "html-\($0)" }
        try await Self.seed(cluster, accounts: accounts)
        let secret = ReferralSecret("breaker-\(UUID().uuidString)")
        try await Self.withRelay(secrets: ["srv_group": secret], cluster: cluster) { sandbox, port in
            try sandbox.store.setFaults(
                SandboxFaults(failRate: 1, failStatus: 400, failBody: "<html><body>400 Bad Request</body></html>"))
            // The group join takes about 3 s; then the first answers open the breaker.
            var sawReason = false
            let until = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < until, !sawReason {
                let (ready, body) = await Self.readiness(port)
                if !ready, body.contains("srv_group"), body.contains("400") { sawReason = true }
                try await Task.sleep(for: .milliseconds(100))
            }
            // Held a little longer: still nothing rejected.
            try await Task.sleep(for: .seconds(2))
            #expect(sawReason, "readiness never named the failing server")
            try sandbox.store.setFaults(.none)
            let outcomes = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 200 }
            #expect(outcomes.count == 200)
            let statuses = Dictionary(grouping: outcomes, by: \.status).mapValues(\.count)
            #expect(statuses == [.advanced: 200], "\(statuses)")
            // Ready again once the breaker has closed, which may be just after the last outcome
            // (CI once read /readyz in between).
            var ready = false
            let readyBy = ContinuousClock.now + .seconds(10)
            while !ready, ContinuousClock.now < readyBy {
                ready = await Self.readiness(port).ready
                if !ready { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(ready, "not ready 10 s after MMOLove healed")
        }
    }

    @Test func anOutageCostsProbesNotARetryPerEvent() async throws {
        let cluster = try await H.cluster(partitions: 3)
        let accounts = (0..<150).map { "outage-\($0)" }
        let secret = ReferralSecret("breaker-\(UUID().uuidString)")
        let maxInFlight = 32
        try await Self.withRelay(
            secrets: ["srv_group": secret], configure: { $0.delivery.maxInFlight = maxInFlight }, cluster: cluster
        ) { sandbox, port in
            try sandbox.store.setFaults(SandboxFaults(failRate: 1, failStatus: 503))
            try await Self.seed(cluster, accounts: accounts)
            try await Task.sleep(for: .seconds(8))
            let duringOutage = sandbox.store.log.count
            try sandbox.store.setFaults(.none)
            // The bound: the window sent once, the 20 failures that open the breaker, and the
            // probes of 8 s (at about 1, 3 and 7 s).
            #expect(duringOutage <= maxInFlight + 20 + 4, "\(duringOutage) requests in an 8 s outage")
            let outcomes = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 300 }
            #expect(outcomes.count == 300)
            #expect(outcomes.allSatisfy { $0.status == .advanced })
            print("outage of 8 s over 300 events: \(duringOutage) requests while MMOLove answered 503")
        }
    }

    @Test func oneFailingServerHoldsOnlyItsOwnEvents() async throws {
        let cluster = try await H.cluster(partitions: 3)
        let failing = (0..<40).map { "srv-a-\($0)" }
        let working = (0..<40).map { "srv-b-\($0)" }
        let secrets = [
            "srv_a": ReferralSecret("a-\(UUID().uuidString)"), "srv_b": ReferralSecret("b-\(UUID().uuidString)"),
        ]
        try await Self.withRelay(secrets: secrets, cluster: cluster) { sandbox, port in
            try sandbox.store.setFaults(SandboxFaults(failRate: 1, failStatus: 401, servers: ["srv_a"]))
            try await Self.seed(cluster, accounts: failing, server: "srv_a")
            try await Self.seed(cluster, accounts: working, server: "srv_b")
            // srv_b's events all go through while srv_a is held.
            let first = try await H.outcomes(cluster, timeout: .seconds(30)) { $0.count >= 80 }
            #expect(first.count == 80)
            #expect(first.allSatisfy { $0.accountID.hasPrefix("srv-b-") && $0.status == .advanced })
            // Readiness names srv_a and stays down: no flapping while srv_b succeeds.
            var flapped = false
            for _ in 0..<20 {
                let (ready, body) = await Self.readiness(port)
                if ready || !body.contains("srv_a") { flapped = true }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(!flapped, "readiness flapped while srv_a was failing")
            try sandbox.store.setFaults(.none)
            let all = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 160 }
            #expect(all.count == 160)
            #expect(all.allSatisfy { $0.status == .advanced })
        }
    }
}
