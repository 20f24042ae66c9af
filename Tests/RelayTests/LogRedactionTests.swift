import Logging
import ReferralKit
import Relay
import Testing

/// Secrets never reach the log output, whatever the format and wherever they hide.
@Suite struct LogRedactionTests {
    static let secret = "mmo-secret-2f9c1e"
    static let rotatedSecret = "mmo-rotated-7a0b"
    static let kafkaPassword = "kafka-pass-55"
    static let jaasConfig =
        #"org.apache.kafka.common.security.plain.PlainLoginModule required username="relay" password="kafka-pass-55";"#
    static let oauthSecret = "oauth-client-secret-x1"

    /// A configuration with two MMOLove servers and SASL credentials in librdkafka properties.
    static func configuration(format: RelayConfiguration.LogFormat) -> RelayConfiguration {
        RelayConfiguration(
            kafka: .init(
                brokers: ["localhost:9092"],
                properties: [
                    "sasl.jaas.config": Self.jaasConfig,
                    "sasl.oauthbearer.client.secret": Self.oauthSecret,
                    "acks": "all",
                ]
            ),
            mmolove: .init(
                credentials: ReferralCredentials([
                    "eu-1": ReferralSecret(Self.secret),
                    "us-1": ReferralSecret(Self.rotatedSecret, keyID: "k2"),
                ])
            ),
            logLevel: .debug,
            logFormat: format
        )
    }

    struct LeakyError: Error, CustomStringConvertible {
        var description: String { "signing failed with key \(LogRedactionTests.secret)" }
    }

    /// Logs every place a secret could hide.
    static func logEverywhere(_ logger: inout Logger) {
        logger[metadataKey: "handler.value"] = "attached \(Self.rotatedSecret)"
        logger.info("message with \(Self.secret) inside")
        logger.debug(
            "metadata",
            metadata: [
                "value": "\(Self.secret)",
                "nested": ["deeper": ["oauth": "\(Self.oauthSecret)"], "list": ["x", "\(Self.kafkaPassword)"]],
                "kafka.config": "\(Self.jaasConfig)",
                "mmolove.secret": "not-in-the-list-but-named-secret",
                "Authorization": "HMAC whatever",
                "note": .stringConvertible(Self.secret.count),
            ])
        logger.error("delivery failed", error: LeakyError())
        logger.warning("jaas password alone: \(Self.kafkaPassword)")
    }

    @Test(arguments: [RelayConfiguration.LogFormat.json, .text])
    func noSecretAppearsInAnyFormat(format: RelayConfiguration.LogFormat) throws {
        let configuration = Self.configuration(format: format)
        let lines = LogLines()
        var logger = Logger(label: "relay") {
            RelayLogging.makeHandler(label: $0, configuration: configuration, sink: lines.sink)
        }
        Self.logEverywhere(&logger)

        let output = lines.text
        #expect(lines.lines.count == 4)
        for secret in [Self.secret, Self.rotatedSecret, Self.kafkaPassword, Self.jaasConfig, Self.oauthSecret] {
            #expect(!output.contains(secret), "\(secret) leaked")
        }
        #expect(!output.contains("not-in-the-list-but-named-secret"))
        #expect(!output.contains("HMAC whatever"))
        #expect(output.contains("[REDACTED]"))
        // What is not secret stays readable.
        #expect(output.contains("delivery failed"))
        #expect(output.contains("message with [REDACTED] inside"))
        if format == .json {
            let objects = try lines.objects()
            #expect(objects.count == 4)
            #expect(objects[1]["mmolove.secret"] as? String == "[REDACTED]")
            #expect(objects[1]["note"] as? String == "17")
            #expect(objects[2]["error.message"] as? String == "signing failed with key [REDACTED]")
        }
    }

    @Test func replacesTheLongestSecretFirstAndMatchesBytes() {
        let redactor = LogRedactor(secrets: [ReferralSecret("abcd"), ReferralSecret("abcdefgh")])
        #expect(redactor.redact("xabcdefghx abcd") == "x[REDACTED]x [REDACTED]")
        // A combining mark after the secret makes a different last character, but the bytes match.
        #expect(redactor.redact("abcd\u{301}") == "[REDACTED]\u{301}")
        #expect(redactor.redact("nothing here") == "nothing here")
    }

    @Test func shortPropertyValuesAreLeftAlone() {
        let redactor = LogRedactor(secrets: [], values: ["all", "1", "SASL_SSL"])
        #expect(redactor.redact("acks=all, retries=1, SASL_SSL") == "acks=all, retries=1, [REDACTED]")
    }

    @Test func keysThatNameASecretAreRedactedWhateverTheirValue() {
        let redactor = LogRedactor()
        let redacted = redactor.redact([
            "ssl.key.password": "x",
            "X-MMOLove-Signature": "t=1,v1=ab",
            "client_credentials": ["id": "a"],
            "relay.topic": "account-created",
        ])
        #expect(redacted["ssl.key.password"] == "[REDACTED]")
        #expect(redacted["X-MMOLove-Signature"] == "[REDACTED]")
        #expect(redacted["client_credentials"] == "[REDACTED]")
        #expect(redacted["relay.topic"] == "account-created")
    }

    @Test func aLearnedSecretIsRedactedByEveryCopyAndTheOldOneStill() {
        let redactor = LogRedactor(secrets: [ReferralSecret("first-secret-1")])
        let copy = redactor
        redactor.learn(ReferralSecret("rotated-secret-2", keyID: "k2"))
        #expect(copy.redact("first-secret-1 rotated-secret-2") == "[REDACTED] [REDACTED]")
    }

    @Test func kafkaFragmentsAndTheEndpointsCredentialsAreRedacted() {
        let redactor = LogRedactor(
            secrets: [],
            kafkaProperties: ["sasl.oauthbearer.config": "principal=relay bogus=oauth-piece-9", "acks": "all"],
            endpoint: "https://relay:p%40ss-word@mmolove.example/api/referral/events?key=query-key-7"
        )
        #expect(
            redactor.redact("Unrecognized sasl.oauthbearer.config beginning at: bogus=oauth-piece-9")
                == "Unrecognized sasl.oauthbearer.config beginning at: [REDACTED]")
        #expect(redactor.redact("oauth-piece-9") == "[REDACTED]")
        #expect(redactor.redact("p%40ss-word p@ss-word query-key-7") == "[REDACTED] [REDACTED] [REDACTED]")
        #expect(redactor.redact("acks=all") == "acks=all")
    }
}
