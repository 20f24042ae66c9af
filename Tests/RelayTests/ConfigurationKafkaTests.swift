import Foundation
import Kafka
import Testing

@testable import Relay

/// librdkafka passthrough: `RDKAFKA_*` names, and the consumer/producer configurations built
/// from the relay's configuration, checked against the embedded mock cluster.
@Suite struct ConfigurationKafkaTests {
    @Test(arguments: [
        ("RDKAFKA_SASL_PASSWORD", "sasl.password"),
        ("RDKAFKA_SSL_KEY_PASSWORD", "ssl.key.password"),
        ("RDKAFKA_SECURITY_PROTOCOL", "security.protocol"),
        ("RDKAFKA_SASL_OAUTHBEARER_CLIENT_SECRET", "sasl.oauthbearer.client.secret"),
        ("RDKAFKA_CONSUME__CALLBACK__MAX__MESSAGES", "consume_callback_max_messages"),
        ("RDKAFKA_FOO___BAR_BAZ", "foo-bar.baz"),
        ("RDKAFKA_A____B", "a-.b"),
        ("RDKAFKA_A_____B", "a-_b"),
    ])
    func environmentNamesDecodeInOnePassLongestRunFirst(_ variable: String, _ property: String) {
        #expect(LibrdkafkaProperties.propertyName(forEnvironmentName: variable) == property)
    }

    @Test(arguments: [
        "sasl.password", "ssl.key.password", "session.timeout.ms", "consume_callback_max_messages",
        "ssl.endpoint.identification.algorithm", "foo-bar.baz", "sasl.oauthbearer.client.secret",
    ])
    func theChartsEncodingRoundTrips(_ property: String) {
        let variable = LibrdkafkaProperties.environmentName(forProperty: property)
        #expect(variable.hasPrefix("RDKAFKA_"))
        #expect(LibrdkafkaProperties.propertyName(forEnvironmentName: variable) == property)
    }

    @Test func variablesWithoutThePrefixOrWithNothingAfterItAreNotProperties() throws {
        #expect(LibrdkafkaProperties.propertyName(forEnvironmentName: "RDKAFKA_") == nil)
        #expect(LibrdkafkaProperties.propertyName(forEnvironmentName: "KAFKA_BROKERS") == nil)
        let configuration = try RelayConfiguration.load(
            configFile: nil,
            environment: ConfigurationFixtures.environment([
                "RDKAFKA_": "x", "XRDKAFKA_A": "y", "RDKAFKA_LINGER_MS": "",
            ])
        )
        #expect(configuration.kafka.properties.isEmpty)
    }

    @Test func theClientConfigurationsCarryTheRelaysSettingsAndFilterByClient() throws {
        let configuration = try RelayConfiguration.load(
            yaml: """
                kafka:
                  brokers: [b1:9092, b2:9092]
                  groupId: relay-group
                  properties: {"fetch.min.bytes": "1024", "linger.ms": "20", "security.protocol": "PLAINTEXT"}
                """,
            environment: ConfigurationFixtures.environment(["KAFKA_BROKERS": nil])
        )
        let consumer = configuration.consumerConfiguration(clientID: "pod-1")
        #expect(consumer.bootstrapServers == ["b1:9092", "b2:9092"])
        #expect(consumer.groupID == "relay-group")
        #expect(consumer.clientID == "pod-1")
        #expect(consumer.assignor == .cooperativeSticky)
        #expect(consumer.autoOffsetReset == .earliest)
        #expect(consumer.properties == ["fetch.min.bytes": "1024", "security.protocol": "PLAINTEXT"])

        let producer = configuration.producerConfiguration(clientID: "pod-1")
        #expect(producer.bootstrapServers == ["b1:9092", "b2:9092"])
        #expect(producer.clientID == "pod-1")
        #expect(!producer.enableIdempotence)
        #expect(producer.acks == .all)
        #expect(
            producer.properties == [
                "linger.ms": "20", "security.protocol": "PLAINTEXT", "max.in.flight.requests.per.connection": "5",
            ])
    }

    /// Not idempotent (librdkafka's idempotent producer spins while a request is in flight: see
    /// `producerConfiguration(clientID:)`), five requests in flight per broker unless the user
    /// says otherwise under either of librdkafka's names, and `acks=all` whatever they say.
    @Test func theProducerIsNotIdempotentAndTheUsersInFlightLimitWins() throws {
        func producer(_ properties: String) throws -> [String: String] {
            let configuration = try RelayConfiguration.load(
                yaml: "kafka: {properties: {\(properties)}}",
                environment: ConfigurationFixtures.environment([:])
            )
            let producer = configuration.producerConfiguration(clientID: "p")
            #expect(!producer.enableIdempotence)
            #expect(producer.acks == .all)
            return producer.properties
        }
        #expect(try producer("") == ["max.in.flight.requests.per.connection": "5"])
        #expect(
            try producer("max.in.flight.requests.per.connection: \"1\"")["max.in.flight.requests.per.connection"] == "1"
        )
        let alias = try producer("max.in.flight: \"2\"")
        #expect(alias["max.in.flight"] == "2")
        #expect(alias["max.in.flight.requests.per.connection"] == nil, "the alias would be overridden by the default")
    }

    @Test func consumerOnlyPropertiesNeverReachTheProducer() async throws {
        let cluster = try MockCluster(brokers: 1)
        let topic = "config-\(UUID().uuidString.prefix(8))"
        try await cluster.createTopic(topic, partitions: 1)
        let configuration = try RelayConfiguration.load(
            yaml: "kafka: {properties: {\"fetch.min.bytes\": \"1024\", \"session.timeout.ms\": \"6000\"}}",
            environment: ConfigurationFixtures.environment(["KAFKA_BROKERS": cluster.bootstrapServers])
        )

        // Control: handed to a producer unfiltered, librdkafka warns that it ignores the property.
        let unfilteredLog = ConfigurationLogCapture()
        var unfiltered = configuration.producerConfiguration(clientID: "control")
        unfiltered.properties = configuration.kafka.properties
        let control = try KafkaProducer(configuration: unfiltered, logger: unfilteredLog.logger("control"))
        await control.close(timeout: .seconds(5))
        #expect(unfilteredLog.messages.contains { $0.contains("fetch.min.bytes") })

        // The relay's producer is created without that warning and delivers.
        let log = ConfigurationLogCapture()
        let producer = try KafkaProducer(
            configuration: configuration.producerConfiguration(clientID: "relay"),
            logger: log.logger("relay")
        )
        let report = try await producer.send(
            KafkaProducerRecord(topic: topic, key: Array("k".utf8), value: Array("v".utf8)))
        #expect(report.offset >= 0)
        await producer.close(timeout: .seconds(5))
        #expect(!log.messages.contains { $0.contains("fetch.min.bytes") || $0.contains("session.timeout.ms") })

        // The consumer accepts the same properties (they are its own).
        let consumer = try KafkaConsumer(
            configuration: configuration.consumerConfiguration(clientID: "relay"),
            logger: log.logger("consumer")
        )
        await consumer.close()
    }
}
