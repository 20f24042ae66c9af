import Testing

@testable import Kafka

/// Which properties carry secrets, which pieces of their values are scrubbed, and the length rule.
@Suite struct KafkaSecretScrubberTests {
    @Test(arguments: [
        "sasl.password", "ssl.key.password", "ssl.keystore.password", "ssl.key.pem", "sasl.oauthbearer.config",
        "sasl.oauthbearer.client.secret", "sasl.jaas.config", "SASL.PASSWORD", "my.api.token", "client.credentials",
    ])
    func secretBearingNames(_ name: String) {
        #expect(KafkaSecretScrubber.isSecretBearing(name))
    }

    @Test(arguments: ["security.protocol", "sasl.mechanisms", "session.timeout.ms", "acks", "client.id"])
    func ordinaryNames(_ name: String) {
        #expect(!KafkaSecretScrubber.isSecretBearing(name))
    }

    @Test func aMalformedValueIsScrubbedWholeAndPieceByPiece() {
        let scrubber = KafkaSecretScrubber(properties: [
            ("sasl.oauthbearer.config", "principal=relay bogus=hunter2-oauth extension_x=1"),
            ("security.protocol", "SASL_SSL"),
        ])
        // librdkafka quotes the value from the bad piece on.
        #expect(
            scrubber.scrub("Unrecognized sasl.oauthbearer.config beginning at: bogus=hunter2-oauth extension_x=1")
                == "Unrecognized sasl.oauthbearer.config beginning at: [REDACTED] [REDACTED]")
        #expect(scrubber.scrub("value hunter2-oauth alone") == "value [REDACTED] alone")
        // Keys are not pieces, and a property that carries no secret is not scrubbed here.
        #expect(scrubber.scrub("principal bogus extension_x SASL_SSL") == "principal bogus extension_x SASL_SSL")
    }

    @Test func jaasPasswordsAreFoundInsideQuotes() {
        let jaas =
            #"org.apache.kafka.common.security.plain.PlainLoginModule required username="relay" password="pw-55";"#
        let scrubber = KafkaSecretScrubber(properties: [("sasl.jaas.config", jaas)])
        #expect(scrubber.scrub("login failed for pw-55") == "login failed for [REDACTED]")
        #expect(scrubber.scrub("config \(jaas)") == "config [REDACTED]")
        let quoted = KafkaSecretScrubber(properties: [("sasl.jaas.config", #"password="two words""#)])
        #expect(quoted.scrub("rejected: two words") == "rejected: [REDACTED]", "a quoted span is a piece")
    }

    @Test func theLengthRule() {
        let scrubber = KafkaSecretScrubber(properties: [
            ("sasl.password", "pw1"), ("ssl.key.password", "x"), ("sasl.oauthbearer.client.secret", "abcd"),
        ])
        // Four bytes and more: anywhere.
        #expect(scrubber.scrub("xxabcdxx") == "xx[REDACTED]xx")
        // Two or three: as a whole token only.
        #expect(scrubber.scrub("bogus=pw1; pw12 upw1") == "bogus=[REDACTED]; pw12 upw1")
        #expect(scrubber.scrub("pw1") == "[REDACTED]")
        // One: never (it would hit every standalone letter), but it is reported.
        #expect(scrubber.scrub("partition x") == "partition x")
        #expect(
            KafkaSecretScrubber.unscrubbableProperties(in: [("ssl.key.password", "x"), ("acks", "1")])
                == ["ssl.key.password"])
    }

    @Test func otherValuesAreScrubbedFromFourBytesOnly() {
        let scrubber = KafkaSecretScrubber(secrets: [[UInt8]](), values: [Array("all".utf8), Array("SASL_SSL".utf8)])
        #expect(scrubber.scrub("acks=all SASL_SSL") == "acks=all [REDACTED]")
    }

    /// A number or a boolean is no credential: as an ordinary property's value it is not replaced
    /// (it took part of a trace id out of a log line); as a secret-bearing one's, it still is.
    @Test func numbersAndBooleansAmongOtherValuesStay() {
        let values = ["6000", "-1000", "0.25", "TRUE", "false", "10ms", "abcd"].map { Array($0.utf8) }
        let scrubber = KafkaSecretScrubber(secrets: [Array("7777".utf8)], values: values)
        #expect(
            scrubber.scrub("trace 4d60001a offset -1000 ratio 0.25 TRUE false 10ms abcd 7777")
                == "trace 4d60001a offset -1000 ratio 0.25 TRUE false [REDACTED] [REDACTED] [REDACTED]")
    }

    @Test func longestFirstAndBytes() {
        let scrubber = KafkaSecretScrubber(secrets: [Array("abcd".utf8), Array("abcdefgh".utf8)])
        #expect(scrubber.scrub("xabcdefghx abcd") == "x[REDACTED]x [REDACTED]")
        #expect(scrubber.scrub("abcd\u{301}") == "[REDACTED]\u{301}")
    }
}
