import Testing

@testable import Kafka

/// Checks that the binding links against the librdkafka the project is built for.
@Suite struct LinkTests {
    @Test func linksLibrdkafka2() {
        #expect(Kafka.librdkafkaVersion.hasPrefix("2."))
    }
}
