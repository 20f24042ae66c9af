import Foundation
import Kafka
import ReferralSandbox
import Relay
import TestSupport
import Testing

/// `referral-relay --version`, `run --help` and `referral-relay check` as an operator runs them:
/// the built executable against the embedded broker and the in-process sandbox.
@Suite(.timeLimit(.minutes(2)))
struct CheckCommandTests {
    @Test func versionPrintsTheRelaysAndLibrdkafkasVersions() async throws {
        let result = try await Executable.run(["--version"], environment: [:])
        #expect(result.status == 0)
        #expect(
            result.stdout == "referral-relay \(ReferralRelayVersion.current) (librdkafka \(Kafka.librdkafkaVersion))\n")
    }

    @Test func runHelpListsEveryEnvironmentVariableWithItsDefault() async throws {
        let result = try await Executable.run(["run", "--help"], environment: [:])
        #expect(result.status == 0)
        let help = result.stdout
        for key in EnvironmentKey.allCases {
            #expect(help.contains("  \(key.rawValue) ("), "\(key.rawValue) missing from run --help")
        }
        #expect(help.contains("RELAY_MAX_IN_FLIGHT (default: 256)"))
        #expect(help.contains("KAFKA_BROKERS (required)"))
        #expect(help.contains("RDKAFKA_<NAME>"))
    }

    /// Every check passes against a working setup; the relay's group and the topics are left as
    /// they were, and MMOLove got one test event per server.
    @Test func checkPassesAgainstTheBrokerAndTheSandboxAndChangesNothing() async throws {
        try await RelayHarness.run { harness in
            try await harness.produce([RelayHarness.accountCreated("check-1", mmref: .token("mmref_check_1"))])
            let result = try await Executable.run(["check"], environment: harness.environment())
            #expect(result.status == 0, "stdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
            let rows = Self.rows(result.stdout)
            for (topic, partitions) in [
                (RelayHarness.accountCreated, 3), (RelayHarness.milestoneReached, 3), (RelayHarness.outcomes, 3),
                (RelayHarness.dlq, 1),
            ] {
                #expect(rows["topic \(topic)"]?.result == "ok")
                #expect(rows["topic \(topic)"]?.detail.hasPrefix("\(partitions) partitions") == true)
            }
            for check in [
                "configuration", "kafka brokers", "group \(harness.groupID)",
                "commit to group \(harness.groupID)-check", "kafka producer",
            ] {
                #expect(rows[check]?.result == "ok", "\(check): \(rows[check].map { "\($0)" } ?? "missing")")
            }
            #expect(rows["mmolove \(RelayHarness.serverID)"]?.result == "ok")
            #expect(!(result.stdout + result.stderr).contains(harness.secret), "the secret is never printed")

            // MMOLove saw one dry run; the relay's group committed nothing; nothing was written.
            #expect(harness.store.log.count == 1)
            #expect(harness.store.log.first?.verdict == .test)
            let consumer = try KafkaFixtures.consumer(harness.cluster, group: harness.groupID)
            let input = (0..<Int32(RelayHarness.inputPartitions)).map {
                KafkaTopicPartition(topic: RelayHarness.accountCreated, partition: $0)
            }
            #expect(try await consumer.committed(input).isEmpty, "the relay's group was written")
            for (topic, partitions) in [(RelayHarness.outcomes, RelayHarness.inputPartitions), (RelayHarness.dlq, 1)] {
                for partition in 0..<Int32(partitions) {
                    #expect(try await consumer.watermarks(topic: topic, partition: partition).high == 0)
                }
            }
            await consumer.close()
        }
    }

    /// A missing topic and a wrong secret: exit 1 naming both, rows saying why, the rest still checked.
    @Test func checkFailsNamingAMissingTopicAndAWrongSecret() async throws {
        try await RelayHarness.run { harness in
            let wrongSecret = "whsec_wrong_\(UUID().uuidString.prefix(12))"
            let wrongPath = harness.directory + "/wrong-secret"
            try Data(wrongSecret.utf8).write(to: URL(fileURLWithPath: wrongPath))
            let result = try await Executable.run(
                ["check", "--timeout", "5"],
                environment: harness.environment([
                    "RELAY_TOPIC_DLQ": "referral-dlq-missing", "MMOLOVE_REFERRAL_SECRET_FILE": wrongPath,
                ]))
            #expect(result.status == 1, "stdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
            #expect(result.stderr.contains("failed: topic referral-dlq-missing, mmolove \(RelayHarness.serverID)"))
            let rows = Self.rows(result.stdout)
            #expect(rows["topic referral-dlq-missing"]?.result == "FAILED")
            #expect(rows["topic referral-dlq-missing"]?.detail.contains("does not exist") == true)
            #expect(rows["mmolove \(RelayHarness.serverID)"]?.detail.hasPrefix("401") == true)
            #expect(rows["kafka producer"]?.result == "ok")
            let printed = result.stdout + result.stderr
            #expect(!printed.contains(wrongSecret) && !printed.contains(harness.secret), "a secret was printed")
        }
    }

    /// Brokers nothing listens on: `kafka brokers` fails after one `--timeout` (librdkafka alone
    /// would retry forever), naming the address and the refused connection; the checks that need
    /// Kafka are skipped, MMOLove is still checked, and neither the SASL password nor the MMOLove
    /// secret is printed.
    @Test func checkFailsNamingUnreachableBrokersWithinItsTimeout() async throws {
        try await RelayHarness.run { harness in
            let address = "127.0.0.1:\(try ClosedPort.loopback())"
            let password = "sasl_pw_\(UUID().uuidString.prefix(12))"
            let started = ContinuousClock.now
            let result = try await Executable.run(
                ["check", "--timeout", "3"],
                environment: harness.environment([
                    "KAFKA_BROKERS": address, "RDKAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                    "RDKAFKA_SASL_MECHANISM": "PLAIN", "RDKAFKA_SASL_USERNAME": "relay",
                    "RDKAFKA_SASL_PASSWORD": password,
                ]),
                killAfter: .seconds(60))
            let elapsed = ContinuousClock.now - started
            #expect(result.status == 1, "stdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
            // One 3 s metadata request, plus the process's start and the MMOLove check (about
            // 3.5 s in all here); the margin is for a machine busy with other builds.
            #expect(elapsed < .seconds(10), "check took \(elapsed)")
            #expect(result.stderr.hasSuffix("referral-relay check: failed: kafka brokers\n"), "\(result.stderr)")
            let rows = Self.rows(result.stdout)
            let brokers = rows["kafka brokers"]
            #expect(brokers?.result == "FAILED")
            #expect(brokers?.detail.hasPrefix("\(address): no metadata within 3 s") == true, "\(brokers?.detail ?? "")")
            #expect(brokers?.detail.contains("Connection refused") == true, "\(brokers?.detail ?? "")")
            let needKafka =
                [RelayHarness.accountCreated, RelayHarness.milestoneReached, RelayHarness.outcomes, RelayHarness.dlq]
                .map { "topic \($0)" } + [
                    "group \(harness.groupID)", "commit to group \(harness.groupID)-check", "kafka producer",
                ]
            for check in needKafka {
                #expect(rows[check]?.result == "skipped", "\(check): \(rows[check].map { "\($0)" } ?? "missing")")
            }
            #expect(rows["mmolove \(RelayHarness.serverID)"]?.result == "ok")
            let printed = result.stdout + result.stderr
            #expect(!printed.contains(password) && !printed.contains(harness.secret), "a secret was printed")
        }
    }

    /// The configuration is loaded exactly as `run` loads it: the same error, the same exit status.
    @Test func checkRefusesABadConfigurationLikeRun() async throws {
        let environment = [
            "KAFKA_BROKERS": "127.0.0.1:9", "MMOLOVE_SERVER_ID": "srv_1", "MMOLOVE_REFERRAL_SECRET": "whsec_cfg_123456",
            "RELAY_MAX_IN_FLIGHT": "0",
        ]
        let check = try await Executable.run(["check"], environment: environment)
        let run = try await Executable.run(["run"], environment: environment)
        #expect(check.status == 78)
        #expect(check.stderr.contains("RELAY_MAX_IN_FLIGHT"), "stderr: \(check.stderr)")
        #expect(check.stderr == run.stderr)
        #expect(check.stdout.isEmpty)
    }

    /// The report's rows by check name.
    static func rows(_ table: String) -> [String: (result: String, detail: String)] {
        var rows: [String: (String, String)] = [:]
        let lines = table.split(separator: "\n").map(String.init)
        guard let header = lines.first, let resultColumn = header.range(of: "RESULT"),
            let detailColumn = header.range(of: "DETAIL")
        else { return [:] }
        for line in lines.dropFirst() where line.count > detailColumn.lowerBound.utf16Offset(in: header) {
            let name = line.prefix(resultColumn.lowerBound.utf16Offset(in: header)).trimmingCharacters(in: .whitespaces)
            let rest = line.dropFirst(resultColumn.lowerBound.utf16Offset(in: header))
            let result = rest.prefix(while: { $0 != " " })
            let detail = line.dropFirst(detailColumn.lowerBound.utf16Offset(in: header))
            rows[name] = (String(result), String(detail))
        }
        return rows
    }
}
