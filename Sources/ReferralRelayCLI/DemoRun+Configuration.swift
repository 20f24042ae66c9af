import Foundation
import ReferralKit
import ReferralSandbox
import Relay

extension DemoRun {
    /// The relay's group id in the demo.
    static let groupID = "referral-relay-demo"
    /// Partitions of every topic on the embedded broker.
    static let partitions = 3

    /// The relay's configuration, built in code as a test would: the product's defaults except
    /// where a short demo needs shorter waits.
    ///
    /// - Parameters:
    ///   - brokers: The embedded broker.
    ///   - endpoint: The sandbox's events URL.
    ///   - secret: The secret shared with the sandbox.
    func relayConfiguration(brokers: [String], endpoint: String, secret: ReferralSecret) -> RelayConfiguration {
        var configuration = RelayConfiguration(
            kafka: .init(
                brokers: brokers,
                groupID: Self.groupID,
                topics: self.topics,
                // The embedded broker answers fast; don't wait out production-sized fetch and
                // metadata intervals. (librdkafka ignores the consumer-only ones on the producer.)
                properties: [
                    "fetch.wait.max.ms": "50",
                    "topic.metadata.refresh.interval.ms": "1000",
                ]
            ),
            mmolove: .init(
                endpoint: endpoint,
                defaultServerID: DemoScenario.serverID,
                credentials: ReferralCredentials(serverID: DemoScenario.serverID, secret: secret),
                requestTimeout: .seconds(5)
            ),
            delivery: .init(
                maxInFlight: 32,
                // Injected 500s and drops are retried quickly; a 422 waits for its registered
                // for at most `qualifiedWait`, well within the demo's timeout.
                initialBackoff: .milliseconds(100),
                maxBackoff: .seconds(1),
                qualifiedWait: .seconds(20)
            ),
            qualifyingMilestones: [DemoScenario.qualifyingMilestone],
            opsPort: 0,
            opsHost: "127.0.0.1",
            logLevel: self.options.logLevel,
            logFormat: .json,
            drainTimeout: .seconds(5),
            commitInterval: .milliseconds(500)
        )
        // The demo shows the referee store; the embedded broker is new every run, so is its
        // local copy.
        configuration.referees.enabled = true
        configuration.referees.directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("referral-relay-demo-referees-\(UUID().uuidString)").path
        return configuration
    }

    /// The sandbox: one server with the demo's secret, the unknown token, and no faults yet
    /// (they are switched on once the rival referrer has registered).
    func sandboxConfiguration(scenario: DemoScenario, secret: ReferralSecret) -> SandboxConfiguration {
        SandboxConfiguration(
            host: "127.0.0.1",
            port: 0,
            servers: [.init(id: DemoScenario.serverID, secrets: [secret])],
            unknownTokens: scenario.unknownTokens
        )
    }

    /// The faults the relay meets.
    var faults: SandboxFaults {
        var faults = SandboxFaults.none
        faults.failRate = self.options.failRate
        faults.dropRate = self.options.dropRate
        return faults
    }

    /// A fresh random secret (64 hex digits); it never leaves this process.
    static func randomSecret() -> ReferralSecret {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }
        return ReferralSecret("whsec_" + hex.joined())
    }
}
