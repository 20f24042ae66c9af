import Testing

@testable import Relay

/// The size and hold limits: defaults, environment and file, and the producer's limit read from
/// the librdkafka passthrough.
@Suite struct ConfigurationLimitsTests {
    @Test func defaults() throws {
        let configuration = try RelayConfiguration.load(
            configFile: nil, environment: ConfigurationFixtures.minimalEnvironment)
        #expect(configuration.maxInputBytes == 262_144)
        #expect(configuration.heldPartitionReadiness == .seconds(300))
        #expect(configuration.unknownTopicGrace == .seconds(300))
        #expect(configuration.kafka.messageMaxBytes == 1_000_000)
    }

    @Test func fromTheEnvironmentOverTheFile() throws {
        let configuration = try RelayConfiguration.load(
            yaml: """
                kafka: {properties: {message.max.bytes: "20000"}}
                relay: {maxInputBytes: 4096, heldPartitionReadinessSeconds: 60, unknownTopicGraceSeconds: 30}
                """,
            environment: ConfigurationFixtures.environment(["RELAY_MAX_INPUT_BYTES": "8192"])
        )
        #expect(configuration.maxInputBytes == 8_192)
        #expect(configuration.heldPartitionReadiness == .seconds(60))
        #expect(configuration.unknownTopicGrace == .seconds(30))
        #expect(configuration.kafka.messageMaxBytes == 20_000)
    }

    @Test func aTinyInputLimitIsRefusedNamingTheKey() {
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(
                configFile: nil, environment: ConfigurationFixtures.environment(["RELAY_MAX_INPUT_BYTES": "10"]))
        }
        #expect(error?.key == "RELAY_MAX_INPUT_BYTES")
    }
}
