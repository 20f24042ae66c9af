import Foundation
import Testing

@testable import Relay

/// Start-up validation: every refusal names the setting at fault, as the user wrote it.
@Suite struct ConfigurationValidationTests {
    /// One invalid environment and the key its error must name.
    struct EnvironmentCase: Sendable, CustomTestStringConvertible {
        var changes: [String: String?]
        var key: String
        var mentions: String
        var testDescription: String { "\(self.key): \(self.changes)" }
    }

    static let environmentCases: [EnvironmentCase] = [
        .init(
            changes: ["KAFKA_BROKERS": nil], key: "KAFKA_BROKERS",
            mentions: "(or kafka.brokers in the config file) is required"),
        .init(changes: ["KAFKA_BROKERS": " , "], key: "KAFKA_BROKERS", mentions: "is required"),
        .init(
            changes: ["RELAY_TOPIC_DLQ": "account-created"], key: "RELAY_TOPIC_DLQ",
            mentions: "RELAY_TOPIC_ACCOUNT_CREATED"),
        .init(
            changes: ["RELAY_TOPIC_OUTCOMES": "milestone-reached"], key: "RELAY_TOPIC_OUTCOMES",
            mentions: "RELAY_TOPIC_MILESTONE_REACHED"),
        .init(
            changes: ["RELAY_TOPIC_DLQ": "referral-outcomes"], key: "RELAY_TOPIC_DLQ", mentions: "RELAY_TOPIC_OUTCOMES"),
        .init(changes: ["MMOLOVE_ENDPOINT": "not a url"], key: "MMOLOVE_ENDPOINT", mentions: "not a URL"),
        .init(changes: ["MMOLOVE_ENDPOINT": "ftp://mmolove.gg/x"], key: "MMOLOVE_ENDPOINT", mentions: "http or https"),
        .init(
            changes: ["MMOLOVE_ENDPOINT": "http://mmolove.gg/api"], key: "MMOLOVE_ENDPOINT",
            mentions: "MMOLOVE_ALLOW_INSECURE_HTTP"),
        .init(
            changes: ["MMOLOVE_ENDPOINT": "http://127.0.0.1.evil.example/"], key: "MMOLOVE_ENDPOINT",
            mentions: "loopback"),
        .init(
            changes: ["MMOLOVE_ALLOW_INSECURE_HTTP": "maybe"], key: "MMOLOVE_ALLOW_INSECURE_HTTP",
            mentions: "true or false"),
        .init(changes: ["MMOLOVE_TEST_EVENTS": "2"], key: "MMOLOVE_TEST_EVENTS", mentions: "true or false"),
        .init(
            changes: ["MMOLOVE_REQUEST_TIMEOUT_SECONDS": "0"], key: "MMOLOVE_REQUEST_TIMEOUT_SECONDS",
            mentions: "positive"),
        .init(changes: ["RELAY_OPS_PORT": "65536"], key: "RELAY_OPS_PORT", mentions: "0...65535"),
        .init(changes: ["RELAY_OPS_PORT": "http"], key: "RELAY_OPS_PORT", mentions: "'http'"),
        .init(changes: ["RELAY_MAX_IN_FLIGHT": "0"], key: "RELAY_MAX_IN_FLIGHT", mentions: "at least 1"),
        .init(changes: ["RELAY_MAX_ATTEMPTS": "-1"], key: "RELAY_MAX_ATTEMPTS", mentions: "at least 0"),
        .init(changes: ["RELAY_DRAIN_TIMEOUT_SECONDS": "-5"], key: "RELAY_DRAIN_TIMEOUT_SECONDS", mentions: "positive"),
        .init(changes: ["RELAY_COMMIT_INTERVAL_MS": "1.5"], key: "RELAY_COMMIT_INTERVAL_MS", mentions: "milliseconds"),
        .init(changes: ["RELAY_QUALIFIED_WAIT_SECONDS": "0"], key: "RELAY_QUALIFIED_WAIT_SECONDS", mentions: "seconds"),
        .init(
            changes: ["RELAY_RETRY_INITIAL_BACKOFF_MS": "0"], key: "RELAY_RETRY_INITIAL_BACKOFF_MS",
            mentions: "positive"),
        .init(
            changes: ["RELAY_RETRY_MAX_BACKOFF_SECONDS": "0"], key: "RELAY_RETRY_MAX_BACKOFF_SECONDS",
            mentions: "positive"),
        .init(
            changes: ["RELAY_RETRY_INITIAL_BACKOFF_MS": "5000", "RELAY_RETRY_MAX_BACKOFF_SECONDS": "2"],
            key: "RELAY_RETRY_INITIAL_BACKOFF_MS", mentions: "RELAY_RETRY_MAX_BACKOFF_SECONDS"),
        .init(
            changes: ["RELAY_LOG_LEVEL": "verbose"], key: "RELAY_LOG_LEVEL",
            mentions: "trace, debug, info, notice, warning, error, critical"),
        .init(changes: ["RELAY_LOG_FORMAT": "xml"], key: "RELAY_LOG_FORMAT", mentions: "json or text"),
        .init(
            changes: ["RDKAFKA_ENABLE_AUTO_COMMIT": "true"], key: "RDKAFKA_ENABLE_AUTO_COMMIT",
            mentions: "at-least-once"),
        .init(
            changes: ["RDKAFKA_ENABLE_AUTO_OFFSET_STORE": "true"], key: "RDKAFKA_ENABLE_AUTO_OFFSET_STORE",
            mentions: "at-least-once"),
        .init(changes: ["RDKAFKA_GROUP_ID": "other"], key: "RDKAFKA_GROUP_ID", mentions: "KAFKA_GROUP_ID"),
        .init(
            changes: ["RDKAFKA_BOOTSTRAP_SERVERS": "x:1"], key: "RDKAFKA_BOOTSTRAP_SERVERS", mentions: "KAFKA_BROKERS"),
        .init(changes: ["RDKAFKA_ACKS": "1"], key: "RDKAFKA_ACKS", mentions: "acks=all"),
        .init(
            changes: ["RDKAFKA_ENABLE_IDEMPOTENCE": "true"], key: "RDKAFKA_ENABLE_IDEMPOTENCE", mentions: "spins a core"
        ),
        .init(changes: ["RDKAFKA_AUTO_OFFSET_RESET": "latest"], key: "RDKAFKA_AUTO_OFFSET_RESET", mentions: "earliest"),
        .init(
            changes: ["MMOLOVE_SERVER_ID": nil], key: "MMOLOVE_SERVER_ID",
            mentions: "(or mmolove.serverId in the config file) is required"),
        .init(changes: ["MMOLOVE_REFERRAL_SECRET": nil], key: "MMOLOVE_REFERRAL_SECRET_FILE", mentions: "is required"),
        .init(
            changes: ["MMOLOVE_REFERRAL_SECRET_FILE": "/nonexistent/referral-secret"],
            key: "MMOLOVE_REFERRAL_SECRET, MMOLOVE_REFERRAL_SECRET_FILE", mentions: "both set"),
        .init(
            changes: ["MMOLOVE_REFERRAL_SECRET": nil, "MMOLOVE_REFERRAL_SECRET_FILE": "/nonexistent/referral-secret"],
            key: "MMOLOVE_REFERRAL_SECRET_FILE", mentions: "/nonexistent/referral-secret"),
    ]

    @Test(arguments: Self.environmentCases)
    func anInvalidEnvironmentIsRefusedNamingTheVariable(_ invalid: EnvironmentCase) {
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(
                configFile: nil, environment: ConfigurationFixtures.environment(invalid.changes))
        }
        #expect(error?.key == invalid.key)
        #expect(
            error?.message.hasPrefix(invalid.key.components(separatedBy: ",")[0]) == true,
            "\(String(describing: error))")
        #expect(error?.message.contains(invalid.mentions) == true, "\(String(describing: error))")
    }

    /// One invalid config file (over the minimal environment) and the dotted key its error must name.
    struct FileCase: Sendable, CustomTestStringConvertible {
        var yaml: String
        var key: String
        var mentions: String
        var testDescription: String { self.key }
    }

    static let fileCases: [FileCase] = [
        .init(yaml: "relay: {maxInflight: 3}", key: "relay.maxInflight", mentions: "unknown key"),
        .init(yaml: "kafka: {topics: {outcome: x}}", key: "kafka.topics.outcome", mentions: "unknown key"),
        .init(yaml: "mmolov: {}", key: "mmolov", mentions: "unknown key"),
        .init(
            yaml: "mmolove: {servers: [{id: a, secretFile: /x, kid: k}]}", key: "mmolove.servers[0].kid",
            mentions: "unknown key"),
        .init(yaml: "relay: {maxInFlight: lots}", key: "relay.maxInFlight", mentions: "'lots'"),
        .init(yaml: "relay: {opsPort: [1]}", key: "relay.opsPort", mentions: "single value"),
        .init(
            yaml: "relay: {retry: {maxBackoffSeconds: 0}}", key: "relay.retry.maxBackoffSeconds", mentions: "positive"),
        .init(yaml: "relay: {logFormat: yaml}", key: "relay.logFormat", mentions: "json or text"),
        .init(yaml: "kafka: {groupId: \"\"}", key: "kafka.groupId", mentions: "must not be empty"),
        .init(yaml: "kafka: {topics: {outcomes: \"\"}}", key: "kafka.topics.outcomes", mentions: "must not be empty"),
        .init(
            yaml: "kafka: {topics: {dlq: prod.out, outcomes: prod.out}}", key: "kafka.topics.dlq",
            mentions: "kafka.topics.outcomes"),
        .init(
            yaml: "kafka: {properties: {enable.auto.commit: \"true\"}}", key: "kafka.properties.enable.auto.commit",
            mentions: "at-least-once"),
        .init(
            yaml: "kafka: {properties: {transactional.id: t}}", key: "kafka.properties.transactional.id",
            mentions: "transactional"),
        .init(
            yaml: "mmolove: {endpoint: \"http://mmolove.internal/events\"}", key: "mmolove.endpoint",
            mentions: "loopback"),
        .init(yaml: "mmolove: {servers: [{secretFile: /x}]}", key: "mmolove.servers[0].id", mentions: "non-empty id"),
        .init(yaml: "mmolove: {servers: [{id: us-1}]}", key: "mmolove.servers[0].secretFile", mentions: "us-1"),
        .init(
            yaml: "mmolove: {servers: [{id: eu-1, secretFile: /x}]}", key: "mmolove.servers[0].id",
            mentions: "MMOLOVE_SERVER_ID"),
        .init(
            yaml: "mmolove: {servers: [{id: us-1, secretFile: /nonexistent/s}]}", key: "mmolove.servers[0].secretFile",
            mentions: "/nonexistent/s"),
        .init(yaml: "relay:\n  opsPort: 1\n  opsPort: 2\n", key: "--config", mentions: "'opsPort'"),
        .init(yaml: "relay: [1, 2]", key: "relay", mentions: "mapping"),
        .init(yaml: "- a\n- b\n", key: "--config", mentions: "mapping at the top level"),
        .init(yaml: "relay:\n  opsPort: 1\n   logLevel: x\n", key: "--config", mentions: "line 3"),
        .init(yaml: "kafka: {brokers: \"a\"\n", key: "--config", mentions: "line "),
    ]

    @Test(arguments: Self.fileCases)
    func anInvalidFileIsRefusedNamingTheDottedKey(_ invalid: FileCase) {
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(yaml: invalid.yaml, environment: ConfigurationFixtures.minimalEnvironment)
        }
        #expect(error?.key == invalid.key, "\(String(describing: error))")
        #expect(error?.message.contains(invalid.key) == true, "\(String(describing: error))")
        #expect(error?.message.contains(invalid.mentions) == true, "\(String(describing: error))")
    }

    @Test func aDefaultServerWithoutASecretIsRefused() throws {
        let fixtures = try ConfigurationFixtures()
        let secret = try fixtures.write("us-1", "us-secret")
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(
                yaml: "mmolove: {serverId: eu-1, servers: [{id: us-1, secretFile: \"\(secret)\"}]}",
                environment: ["KAFKA_BROKERS": "k:9092"]
            )
        }
        #expect(error?.key == "mmolove.serverId")
        #expect(error?.message.contains("no referral secret is configured for server 'eu-1'") == true)
    }

    @Test func aMissingConfigFileIsNamedByPath() {
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(configFile: "/nonexistent/relay.yaml", environment: [:])
        }
        #expect(error?.key == "--config")
        #expect(error?.message.contains("/nonexistent/relay.yaml") == true)
    }

    @Test func aSyntaxErrorNamesTheFileAndTheLine() throws {
        let fixtures = try ConfigurationFixtures()
        let path = try fixtures.write("broken.yaml", "kafka:\n  brokers: a\n relay: {\n")
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(configFile: path, environment: ConfigurationFixtures.minimalEnvironment)
        }
        #expect(error?.message.contains(path) == true, "\(String(describing: error))")
        #expect(error?.message.contains("line 3") == true, "\(String(describing: error))")
    }

    @Test func plainHTTPIsAllowedOnLoopbackOrWhenExplicitlyAllowed() throws {
        for endpoint in ["http://localhost:8080/e", "http://127.0.0.1/e", "http://127.5.6.7:1/e", "http://[::1]:9/e"] {
            let configuration = try RelayConfiguration.load(
                configFile: nil,
                environment: ConfigurationFixtures.environment(["MMOLOVE_ENDPOINT": endpoint])
            )
            #expect(configuration.mmolove.endpoint == endpoint)
        }
        let allowed = try RelayConfiguration.load(
            configFile: nil,
            environment: ConfigurationFixtures.environment([
                "MMOLOVE_ENDPOINT": "http://mmolove.internal/e", "MMOLOVE_ALLOW_INSECURE_HTTP": "true",
            ])
        )
        #expect(allowed.mmolove.allowInsecureHTTP)
    }

    @Test func maxAttemptsZeroMeansUnlimited() throws {
        let unlimited = try RelayConfiguration.load(
            configFile: nil,
            environment: ConfigurationFixtures.environment(["RELAY_MAX_ATTEMPTS": "0"])
        )
        #expect(unlimited.delivery.maxAttempts == nil)
        let limited = try RelayConfiguration.load(
            configFile: nil,
            environment: ConfigurationFixtures.environment(["RELAY_MAX_ATTEMPTS": "5"])
        )
        #expect(limited.delivery.maxAttempts == 5)
    }
}
