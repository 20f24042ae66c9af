import Testing

@testable import Relay

/// `RELAY_ADAPTIVE_CONCURRENCY` and `RELAY_ADAPTIVE_CONCURRENCY_INITIAL`: defaults, environment
/// over file, the initial limit bounded by the window, errors naming the key, the summary.
@Suite struct ConfigurationConcurrencyTests {
    @Test func onByDefaultFrom32() throws {
        let configuration = try RelayConfiguration.load(
            configFile: nil, environment: ConfigurationFixtures.minimalEnvironment)
        #expect(configuration.delivery.adaptiveConcurrency)
        #expect(configuration.delivery.adaptiveConcurrencyInitial == nil)
        #expect(configuration.delivery.concurrencyLimit == ConcurrencyLimit.Settings(initial: 32, maximum: 256))
        let settings = Dictionary(uniqueKeysWithValues: configuration.redactedSettings.map { ($0.name, $0.value) })
        #expect(settings["relay.adaptiveConcurrency"] == "true")
        #expect(settings["relay.adaptiveConcurrencyInitial"] == "32 per server")
    }

    @Test func aSmallWindowIsTheInitialLimit() throws {
        let configuration = try RelayConfiguration.load(
            configFile: nil, environment: ConfigurationFixtures.environment(["RELAY_MAX_IN_FLIGHT": "8"]))
        #expect(configuration.delivery.concurrencyLimit?.initial == 8)
        #expect(configuration.delivery.concurrencyLimit?.maximum == 8)
    }

    @Test func fromTheEnvironmentOverTheFile() throws {
        let yaml = "relay: {adaptiveConcurrency: \"false\", adaptiveConcurrencyInitial: 8, maxInFlight: 64}"
        let fromFile = try RelayConfiguration.load(yaml: yaml, environment: ConfigurationFixtures.minimalEnvironment)
        #expect(!fromFile.delivery.adaptiveConcurrency)
        #expect(fromFile.delivery.adaptiveConcurrencyInitial == 8)
        #expect(fromFile.delivery.concurrencyLimit == nil)
        let settings = Dictionary(uniqueKeysWithValues: fromFile.redactedSettings.map { ($0.name, $0.value) })
        #expect(settings["relay.adaptiveConcurrencyInitial"] == "off")

        let overridden = try RelayConfiguration.load(
            yaml: yaml,
            environment: ConfigurationFixtures.environment([
                "RELAY_ADAPTIVE_CONCURRENCY": "on", "RELAY_ADAPTIVE_CONCURRENCY_INITIAL": "16",
            ])
        )
        #expect(overridden.delivery.concurrencyLimit == ConcurrencyLimit.Settings(initial: 16, maximum: 64))
    }

    @Test(arguments: [
        (["RELAY_ADAPTIVE_CONCURRENCY": "sometimes"], "RELAY_ADAPTIVE_CONCURRENCY"),
        (["RELAY_ADAPTIVE_CONCURRENCY_INITIAL": "-1"], "RELAY_ADAPTIVE_CONCURRENCY_INITIAL"),
        (["RELAY_ADAPTIVE_CONCURRENCY_INITIAL": "ten"], "RELAY_ADAPTIVE_CONCURRENCY_INITIAL"),
        (["RELAY_ADAPTIVE_CONCURRENCY_INITIAL": "300"], "RELAY_ADAPTIVE_CONCURRENCY_INITIAL"),
    ])
    func aBadValueIsRefusedNamingTheKey(_ changes: [String: String], _ key: String) {
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(configFile: nil, environment: ConfigurationFixtures.environment(changes))
        }
        #expect(error?.key == key)
    }

    @Test func anInitialLimitAboveTheWindowNamesBothKeysOfTheFile() {
        let error = ConfigurationFixtures.error {
            () throws(ConfigurationError) in
            try RelayConfiguration.load(
                yaml: "relay: {adaptiveConcurrencyInitial: 64, maxInFlight: 32}",
                environment: ConfigurationFixtures.minimalEnvironment)
        }
        #expect(error?.key == "relay.adaptiveConcurrencyInitial")
        #expect(error?.message.contains("relay.maxInFlight") == true)
    }
}
