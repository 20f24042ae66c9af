import Foundation
import ReferralKit
import Testing

@testable import Relay

/// Secrets: literal or file, several servers, key ids, and never a secret in what is printed.
@Suite struct ConfigurationSecretsTests {
    @Test func theSecretFileIsReadAndTrimmed() throws {
        let fixtures = try ConfigurationFixtures()
        let path = try fixtures.write("referral-secret", "  file-secret-value\n")
        let configuration = try RelayConfiguration.load(
            configFile: nil,
            environment: ConfigurationFixtures.environment([
                "MMOLOVE_REFERRAL_SECRET": nil,
                "MMOLOVE_REFERRAL_SECRET_FILE": path,
                "MMOLOVE_KEY_ID": "k-7",
            ])
        )
        #expect(configuration.mmolove.credentials["eu-1"] == ReferralSecret("file-secret-value", keyID: "k-7"))
    }

    @Test func anEmptySecretFileIsRefusedNamingKeyAndPath() throws {
        let fixtures = try ConfigurationFixtures()
        let path = try fixtures.write("referral-secret", " \n")
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(
                configFile: nil,
                environment: ConfigurationFixtures.environment([
                    "MMOLOVE_REFERRAL_SECRET": nil, "MMOLOVE_REFERRAL_SECRET_FILE": path,
                ])
            )
        }
        #expect(error?.key == "MMOLOVE_REFERRAL_SECRET_FILE")
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("empty") == true)
    }

    @Test func anUnreadableSecretFileNeverShowsItsContent() throws {
        let fixtures = try ConfigurationFixtures()
        // Not UTF-8, so unusable; the error must name the file, not echo its bytes.
        let url = fixtures.directory.appendingPathComponent("binary-secret")
        try Data([0x73, 0x65, 0x63, 0xFF, 0xFE]).write(to: url)
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(
                yaml: "mmolove: {secretFile: \"\(url.path)\"}",
                environment: ["KAFKA_BROKERS": "k:9092", "MMOLOVE_SERVER_ID": "eu-1"]
            )
        }
        #expect(error?.key == "mmolove.secretFile")
        #expect(error?.message.contains(url.path) == true)
        #expect(error?.message.contains("sec") == true)  // from the path, not the bytes
    }

    @Test func theEnvironmentSecretWinsOverTheFilesSecretFile() throws {
        let fixtures = try ConfigurationFixtures()
        let path = try fixtures.write("referral-secret", "from-yaml-file")
        let configuration = try RelayConfiguration.load(
            yaml: "mmolove: {serverId: eu-1, secretFile: \"\(path)\"}",
            environment: ["KAFKA_BROKERS": "k:9092", "MMOLOVE_REFERRAL_SECRET": "from-env"]
        )
        #expect(configuration.mmolove.credentials["eu-1"] == ReferralSecret("from-env"))
    }

    @Test func severalServersEachHaveTheirSecretAndKeyID() throws {
        let fixtures = try ConfigurationFixtures()
        let eu = try fixtures.write("eu", "eu-secret")
        let us = try fixtures.write("servers/us/referral-secret", "us-secret\n")
        let asia = try fixtures.write("servers/asia/referral-secret", "asia-secret")
        let configuration = try RelayConfiguration.load(
            yaml: """
                mmolove:
                  serverId: eu-1
                  keyId: eu-k
                  secretFile: "\(eu)"
                  servers:
                    - {id: us-1, secretFile: "\(us)", keyId: us-k}
                    - {id: asia-1, secretFile: "\(asia)"}
                """,
            environment: ["KAFKA_BROKERS": "k:9092"]
        )
        let credentials = configuration.mmolove.credentials
        #expect(credentials.serverIDs == ["asia-1", "eu-1", "us-1"])
        #expect(credentials["eu-1"] == ReferralSecret("eu-secret", keyID: "eu-k"))
        #expect(credentials["us-1"] == ReferralSecret("us-secret", keyID: "us-k"))
        #expect(credentials["asia-1"] == ReferralSecret("asia-secret"))
        #expect(configuration.mmolove.defaultServerID == "eu-1")
    }

    @Test func serversAloneWorkAndTheDefaultIsTheOnlyOneOrNone() throws {
        let fixtures = try ConfigurationFixtures()
        let us = try fixtures.write("us", "us-secret")
        let asia = try fixtures.write("asia", "asia-secret")
        let one = try RelayConfiguration.load(
            yaml: "mmolove: {servers: [{id: us-1, secretFile: \"\(us)\"}]}",
            environment: ["KAFKA_BROKERS": "k:9092"]
        )
        #expect(one.mmolove.defaultServerID == "us-1")
        let two = try RelayConfiguration.load(
            yaml: "mmolove: {servers: [{id: us-1, secretFile: \"\(us)\"}, {id: asia-1, secretFile: \"\(asia)\"}]}",
            environment: ["KAFKA_BROKERS": "k:9092"]
        )
        #expect(two.mmolove.defaultServerID == nil)
        let chosen = try RelayConfiguration.load(
            yaml: "mmolove: {servers: [{id: us-1, secretFile: \"\(us)\"}, {id: asia-1, secretFile: \"\(asia)\"}]}",
            environment: ["KAFKA_BROKERS": "k:9092", "MMOLOVE_SERVER_ID": "asia-1"]
        )
        #expect(chosen.mmolove.defaultServerID == "asia-1")
    }

    @Test func duplicateServerIDsAreRefused() throws {
        let fixtures = try ConfigurationFixtures()
        let a = try fixtures.write("a", "a-secret")
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(
                yaml: "mmolove: {servers: [{id: us-1, secretFile: \"\(a)\"}, {id: us-1, secretFile: \"\(a)\"}]}",
                environment: ["KAFKA_BROKERS": "k:9092"]
            )
        }
        #expect(error?.key == "mmolove.servers[1].id")
        #expect(error?.message.contains("mmolove.servers[0].id") == true)
    }

    @Test func theSummaryShowsServersButNeverASecretOrAPropertyValue() throws {
        let fixtures = try ConfigurationFixtures()
        let us = try fixtures.write("us", "us-SECRET-file-value")
        let configuration = try RelayConfiguration.load(
            yaml: """
                kafka: {properties: {"sasl.jaas.config": "org.Plain required password=JAAS-SECRET-value;"}}
                mmolove: {servers: [{id: us-1, secretFile: "\(us)", keyId: us-k}]}
                """,
            environment: ConfigurationFixtures.environment([
                "MMOLOVE_REFERRAL_SECRET": "env-SECRET-literal-value",
                "MMOLOVE_KEY_ID": "eu-k",
                "RDKAFKA_SASL_PASSWORD": "sasl-SECRET-password-value",
            ])
        )
        let printed = [
            configuration.redactedSummary, configuration.description, "\(configuration)",
            String(reflecting: configuration.mmolove.credentials),
        ]
        .joined(separator: "\n")
        for secret in ["us-SECRET-file-value", "env-SECRET-literal-value", "sasl-SECRET-password-value", "JAAS-SECRET"]
        {
            #expect(!printed.contains(secret), "\(secret) leaked")
        }
        #expect(configuration.redactedSummary.contains("mmolove.servers.eu-1: secret <redacted>, kid eu-k"))
        #expect(configuration.redactedSummary.contains("mmolove.servers.us-1: secret <redacted>, kid us-k"))
        #expect(configuration.redactedSummary.contains("kafka.properties.sasl.password: <set>"))
        #expect(configuration.redactedSummary.contains("kafka.brokers: localhost:9092"))
        // One line per setting, each `name: value`.
        let lines = configuration.redactedSummary.split(separator: "\n")
        #expect(lines.count == configuration.redactedSettings.count)
        #expect(lines.allSatisfy { $0.contains(": ") })
    }

    @Test func secretFilesAreKeptForRotationWithTheirKeyIDFiles() throws {
        let fixtures = try ConfigurationFixtures()
        let secret = try fixtures.write("referral-secret", "file-secret-value\n")
        let keyID = try fixtures.write("key-id", "k-2026\n")
        let us = try fixtures.write("us", "us-secret-value")
        let usKeyID = try fixtures.write("us-kid", "us-k")
        let configuration = try RelayConfiguration.load(
            yaml: """
                mmolove:
                  secretPollSeconds: 2
                  servers: [{id: us-1, secretFile: "\(us)", keyIdFile: "\(usKeyID)"}]
                """,
            environment: ConfigurationFixtures.environment([
                "MMOLOVE_REFERRAL_SECRET": nil,
                "MMOLOVE_REFERRAL_SECRET_FILE": secret,
                "MMOLOVE_KEY_ID_FILE": keyID,
            ])
        )
        #expect(configuration.mmolove.credentials["eu-1"] == ReferralSecret("file-secret-value", keyID: "k-2026"))
        #expect(configuration.mmolove.credentials["us-1"] == ReferralSecret("us-secret-value", keyID: "us-k"))
        #expect(configuration.mmolove.secretFiles.map(\.serverID) == ["eu-1", "us-1"])
        #expect(configuration.mmolove.secretFiles.first?.keyIDPath == keyID)
        #expect(configuration.mmolove.secretPollInterval == .seconds(2))
        // A literal secret cannot rotate: nothing to watch.
        let literal = try RelayConfiguration.load(
            configFile: nil, environment: ConfigurationFixtures.minimalEnvironment)
        #expect(literal.mmolove.secretFiles.isEmpty)
        #expect(literal.mmolove.secretPollInterval == .seconds(5))
    }

    @Test func aKeyIDAndAKeyIDFileTogetherAreRefused() throws {
        let fixtures = try ConfigurationFixtures()
        let keyID = try fixtures.write("key-id", "k-2026")
        let error = ConfigurationFixtures.error { () throws(ConfigurationError) in
            try RelayConfiguration.load(
                configFile: nil,
                environment: ConfigurationFixtures.environment(["MMOLOVE_KEY_ID": "k1", "MMOLOVE_KEY_ID_FILE": keyID])
            )
        }
        #expect(error?.key == "MMOLOVE_KEY_ID, MMOLOVE_KEY_ID_FILE")
    }

    @Test func theEndpointIsPrintedWithoutUserinfoOrQuery() throws {
        let endpoint = "https://relay:url-SECRET-pw@mmolove.example:8443/api/referral/events?key=query-SECRET-key"
        let configuration = try RelayConfiguration.load(
            configFile: nil, environment: ConfigurationFixtures.environment(["MMOLOVE_ENDPOINT": endpoint]))
        #expect(
            configuration.redactedSummary.contains(
                "mmolove.endpoint: https://mmolove.example:8443/api/referral/events\n"))
        #expect(!configuration.redactedSummary.contains("SECRET"))
        let error = ConfigurationFixtures.error { () throws(ConfigurationError) in
            try RelayConfiguration.load(
                configFile: nil,
                environment: ConfigurationFixtures.environment([
                    "MMOLOVE_ENDPOINT": "https://relay:url-SECRET-pw@/x?key=q"
                ])
            )
        }
        #expect(error.map { "\($0)" }?.contains("SECRET") == false)
        #expect(error?.key == "MMOLOVE_ENDPOINT")
    }

    @Test(arguments: [
        ("https://u:p@host/path?key=k#frag", "https://host/path"),
        ("http://127.0.0.1:8787/api/referral/events", "http://127.0.0.1:8787/api/referral/events"),
        ("https://host?key=k", "https://host"),
        ("user:pw@host/x", "host/x"),
        ("https://a@b@host/x", "https://host/x"),
        ("https://host/a@b", "https://host/a@b"),
    ])
    func endpointRedaction(_ endpoint: String, _ printed: String) {
        #expect(ReferralEndpoint.redacted(endpoint) == printed)
    }
}
