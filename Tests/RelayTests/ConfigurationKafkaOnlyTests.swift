import Foundation
import Relay
import Testing

/// ``RelayConfiguration/Kafka/load(configFile:environment:)``: what the `dlq` tools load, the
/// Kafka settings alone, checked as `run` checks them.
@Suite struct ConfigurationKafkaOnlyTests {
    @Test func loadsWithoutAnyMMOLoveSetting() throws {
        let kafka = try RelayConfiguration.Kafka.load(
            configFile: nil,
            environment: ["KAFKA_BROKERS": "b1:9092,b2:9092", "RELAY_TOPIC_DLQ": "dead", "RDKAFKA_SASL_PASSWORD": "pw"]
        )
        #expect(kafka.brokers == ["b1:9092", "b2:9092"])
        #expect(kafka.groupID == "referral-relay")
        #expect(kafka.topics.dlq == "dead")
        #expect(kafka.properties == ["sasl.password": "pw"])

        let consumer = kafka.toolConsumerConfiguration(clientID: "tool", groupID: "referral-relay-redrive-all")
        #expect(consumer.groupID == "referral-relay-redrive-all")
        #expect(consumer.properties == ["sasl.password": "pw"])
        let producer = kafka.producerConfiguration(clientID: "tool")
        #expect(!producer.enableIdempotence)
        #expect(producer.acks == .all)
    }

    @Test func readsTheFileAndNamesTheKeyAtFault() throws {
        let fixtures = try ConfigurationFixtures()
        let path = try fixtures.write(
            "config.yaml", "kafka: {brokers: [k:9092], groupId: relay-eu, topics: {dlq: eu-dlq}}\n")
        let kafka = try RelayConfiguration.Kafka.load(configFile: path, environment: [:])
        #expect(kafka.groupID == "relay-eu")
        #expect(kafka.topics.dlq == "eu-dlq")

        #expect {
            try RelayConfiguration.Kafka.load(configFile: nil, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == "KAFKA_BROKERS"
        }
        #expect {
            try RelayConfiguration.Kafka.load(
                configFile: nil, environment: ["KAFKA_BROKERS": "k:1", "RELAY_TOPIC_DLQ": "account-created"])
        } throws: { error in
            (error as? ConfigurationError)?.key == "RELAY_TOPIC_DLQ"
        }
    }
}
