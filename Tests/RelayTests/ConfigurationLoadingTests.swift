import Foundation
import Logging
import ReferralKit
import Testing

@testable import Relay

/// Loading: defaults, the YAML layout, environment over file, the chart's rendered file.
@Suite struct ConfigurationLoadingTests {
    @Test func minimalEnvironmentLoadsWithTheDocumentedDefaults() throws {
        let configuration = try RelayConfiguration.load(
            configFile: nil,
            environment: ConfigurationFixtures.minimalEnvironment
        )
        #expect(configuration.kafka.brokers == ["localhost:9092"])
        #expect(configuration.kafka.groupID == "referral-relay")
        #expect(configuration.kafka.topics == RelayConfiguration.Topics())
        #expect(configuration.kafka.topics.outcomes == "referral-outcomes")
        #expect(configuration.kafka.properties.isEmpty)
        #expect(configuration.qualifyingMilestones.isEmpty)
        #expect(configuration.opsPort == 8080)
        #expect(configuration.opsHost == "0.0.0.0")
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFormat == .json)
        #expect(configuration.drainTimeout == .seconds(20))
        #expect(configuration.commitInterval == .seconds(5))
        #expect(configuration.delivery == RelayConfiguration.Delivery())
        #expect(configuration.delivery.maxAttempts == nil)
        #expect(configuration.mmolove.endpoint == ReferralClient.defaultEndpoint)
        #expect(configuration.mmolove.defaultServerID == "eu-1")
        #expect(configuration.mmolove.credentials.serverIDs == ["eu-1"])
        #expect(configuration.mmolove.requestTimeout == .seconds(10))
        #expect(!configuration.mmolove.allowInsecureHTTP)
        #expect(!configuration.mmolove.testEvents)
    }

    @Test func everyYAMLKeyIsRead() throws {
        let fixtures = try ConfigurationFixtures()
        let secret = try fixtures.write("secret", "file-secret\n")
        let configuration = try RelayConfiguration.load(
            yaml: """
                kafka:
                  brokers: [h1:9092, " h2:9092 "]
                  groupId: g
                  topics: {accountCreated: a, milestoneReached: m, outcomes: o, dlq: d}
                  properties: {"session.timeout.ms": "6000"}
                relay:
                  qualifyingMilestones: [level-10, " ", first-purchase]
                  logLevel: debug
                  logFormat: text
                  drainTimeoutSeconds: 7
                  maxInFlight: 3
                  opsPort: 9191
                  opsHost: 127.0.0.1
                  commitIntervalMs: 250
                  maxAttempts: 4
                  qualifiedWaitSeconds: 9
                  retry: {initialBackoffMs: 50, maxBackoffSeconds: 2}
                mmolove:
                  endpoint: http://10.0.0.5:8080/events
                  serverId: eu-1
                  keyId: k1
                  secretFile: \(secret)
                  allowInsecureHttp: true
                  requestTimeoutSeconds: 3
                  testEvents: true
                """,
            environment: [:]
        )
        #expect(configuration.kafka.brokers == ["h1:9092", "h2:9092"])
        #expect(configuration.kafka.groupID == "g")
        #expect(
            configuration.kafka.topics == .init(accountCreated: "a", milestoneReached: "m", outcomes: "o", dlq: "d"))
        #expect(configuration.kafka.properties == ["session.timeout.ms": "6000"])
        #expect(configuration.qualifyingMilestones == ["level-10", "first-purchase"])
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .text)
        #expect(configuration.drainTimeout == .seconds(7))
        #expect(configuration.delivery.maxInFlight == 3)
        #expect(configuration.opsPort == 9191)
        #expect(configuration.opsHost == "127.0.0.1")
        #expect(configuration.commitInterval == .milliseconds(250))
        #expect(configuration.delivery.maxAttempts == 4)
        #expect(configuration.delivery.qualifiedWait == .seconds(9))
        #expect(configuration.delivery.initialBackoff == .milliseconds(50))
        #expect(configuration.delivery.maxBackoff == .seconds(2))
        #expect(configuration.mmolove.endpoint == "http://10.0.0.5:8080/events")
        #expect(configuration.mmolove.allowInsecureHTTP)
        #expect(configuration.mmolove.requestTimeout == .seconds(3))
        #expect(configuration.mmolove.testEvents)
        #expect(configuration.mmolove.credentials["eu-1"]?.keyID == "k1")
        #expect(configuration.mmolove.credentials["eu-1"] == ReferralSecret("file-secret", keyID: "k1"))
    }

    @Test func theEnvironmentWinsOverTheFile() throws {
        let configuration = try RelayConfiguration.load(
            yaml: """
                kafka: {brokers: "file:9092", groupId: file-group, properties: {"linger.ms": "100", "fetch.min.bytes": "1"}}
                relay: {maxInFlight: 10, qualifyingMilestones: [from-file], logLevel: error}
                """,
            environment: ConfigurationFixtures.environment([
                "KAFKA_BROKERS": "env1:9092, env2:9092",
                "RELAY_MAX_IN_FLIGHT": "20",
                "RELAY_QUALIFYING_MILESTONES": "a, b,,",
                "RDKAFKA_LINGER_MS": "7",
                // Empty variables count as unset: the file's value stays.
                "KAFKA_GROUP_ID": "",
                "RELAY_LOG_LEVEL": "  ",
            ])
        )
        #expect(configuration.kafka.brokers == ["env1:9092", "env2:9092"])
        #expect(configuration.kafka.groupID == "file-group")
        #expect(configuration.delivery.maxInFlight == 20)
        #expect(configuration.qualifyingMilestones == ["a", "b"])
        #expect(configuration.logLevel == .error)
        #expect(configuration.kafka.properties == ["linger.ms": "7", "fetch.min.bytes": "1"])
    }

    @Test func numbersQuotedByHelmAreAccepted() throws {
        let configuration = try RelayConfiguration.load(
            yaml: """
                relay: {maxInFlight: "64", opsPort: "9000", drainTimeoutSeconds: "30", maxAttempts: "0"}
                mmolove: {testEvents: "true"}
                """,
            environment: ConfigurationFixtures.minimalEnvironment
        )
        #expect(configuration.delivery.maxInFlight == 64)
        #expect(configuration.opsPort == 9000)
        #expect(configuration.drainTimeout == .seconds(30))
        #expect(configuration.delivery.maxAttempts == nil)
        #expect(configuration.mmolove.testEvents)
    }

    @Test func theChartsRenderedConfigFileLoads() throws {
        let fixtures = try ConfigurationFixtures()
        let defaultSecret = try fixtures.write("referral-secret", "eu-secret-value\n")
        let usSecret = try fixtures.write("servers/us-east-1/referral-secret", "us-secret-value")
        // Rendered by the chart from tests/chart/values-all.yaml (ConfigMap `relay`, config.yaml);
        // only the two mount paths are swapped for temp files.
        let rendered = """
            kafka:
              brokers: "b-1.kafka.internal:9096,b-2.kafka.internal:9096,b-3.kafka.internal:9096"
              groupId: "referral-relay-prod"
              topics:
                accountCreated: "prod.account-created"
                milestoneReached: "prod.milestone-reached"
                outcomes: "prod.referral-outcomes"
                dlq: "prod.referral-dlq"
              properties:
                "client.id": "referral-relay"
                "enable.ssl.certificate.verification": "true"
                "sasl.mechanisms": "SCRAM-SHA-512"
                "security.protocol": "SASL_SSL"
                "session.timeout.ms": "45000"
                "ssl.ca.location": "/var/run/secrets/kafka-tls/ca.crt"
                "ssl.certificate.location": "/var/run/secrets/kafka-tls/tls.crt"
                "ssl.endpoint.identification.algorithm": "https"
                "ssl.key.location": "/var/run/secrets/kafka-tls/tls.key"
            relay:
              qualifyingMilestones: ["level-10","first-purchase"]
              logLevel: "debug"
              drainTimeoutSeconds: 45
              maxInFlight: 128
              opsPort: 9090
            mmolove:
              endpoint: "https://ingest.mmolove.example/v1/referrals"
              serverId: "eu-west-1"
              keyId: "k-2026"
              secretFile: "/var/run/secrets/mmolove/referral-secret"
              servers:
                - id: "us-east-1"
                  secretFile: "/var/run/secrets/mmolove/servers/us-east-1/referral-secret"
                  keyId: "k-us-2026"

            """
            .replacingOccurrences(of: "/var/run/secrets/mmolove/servers/us-east-1/referral-secret", with: usSecret)
            .replacingOccurrences(of: "/var/run/secrets/mmolove/referral-secret", with: defaultSecret)
        let path = try fixtures.write("config.yaml", rendered)
        // The chart also sets these variables; the SASL password comes from a secretKeyRef.
        let configuration = try RelayConfiguration.load(
            configFile: path,
            environment: [
                "KAFKA_BROKERS": "b-1.kafka.internal:9096,b-2.kafka.internal:9096,b-3.kafka.internal:9096",
                "MMOLOVE_REFERRAL_SECRET_FILE": defaultSecret,
                "RDKAFKA_SASL_USERNAME": "relay",
                "RDKAFKA_SASL_PASSWORD": "sasl-password-value",
                "RDKAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            ]
        )
        #expect(configuration.kafka.brokers.count == 3)
        #expect(configuration.kafka.groupID == "referral-relay-prod")
        #expect(configuration.kafka.topics.dlq == "prod.referral-dlq")
        #expect(configuration.kafka.properties["ssl.key.location"] == "/var/run/secrets/kafka-tls/tls.key")
        #expect(configuration.kafka.properties["sasl.password"] == "sasl-password-value")
        #expect(configuration.qualifyingMilestones == ["level-10", "first-purchase"])
        #expect(configuration.logLevel == .debug)
        #expect(configuration.drainTimeout == .seconds(45))
        #expect(configuration.opsPort == 9090)
        #expect(configuration.mmolove.defaultServerID == "eu-west-1")
        #expect(configuration.mmolove.credentials.serverIDs == ["eu-west-1", "us-east-1"])
        #expect(configuration.mmolove.credentials["eu-west-1"] == ReferralSecret("eu-secret-value", keyID: "k-2026"))
        #expect(configuration.mmolove.credentials["us-east-1"] == ReferralSecret("us-secret-value", keyID: "k-us-2026"))
    }

    @Test func theChartsMinimalRenderWithEmptyPropertiesLoads() throws {
        let fixtures = try ConfigurationFixtures()
        let secret = try fixtures.write("referral-secret", "s")
        // `properties:` with nothing under it is YAML null: it sets nothing.
        let configuration = try RelayConfiguration.load(
            yaml: """
                kafka:
                  brokers: "kafka-0.kafka:9092"
                  groupId: "referral-relay"
                  topics:
                    accountCreated: "account-created"
                    milestoneReached: "milestone-reached"
                    outcomes: "referral-outcomes"
                    dlq: "referral-dlq"
                  properties:
                relay:
                  qualifyingMilestones: []
                  logLevel: "info"
                  drainTimeoutSeconds: 20
                  maxInFlight: 256
                  opsPort: 8080
                mmolove:
                  serverId: "main"
                  secretFile: "\(secret)"
                """,
            environment: [:]
        )
        #expect(configuration.kafka.properties.isEmpty)
        #expect(configuration.qualifyingMilestones.isEmpty)
        #expect(configuration.mmolove.defaultServerID == "main")
    }

    @Test func anEmptyConfigFileSetsNothing() throws {
        let fixtures = try ConfigurationFixtures()
        let path = try fixtures.write("empty.yaml", "# nothing here\n")
        let configuration = try RelayConfiguration.load(
            configFile: path,
            environment: ConfigurationFixtures.minimalEnvironment
        )
        #expect(configuration.kafka.groupID == "referral-relay")
    }
}
