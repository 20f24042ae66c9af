import CRDKafka

extension RDKafkaClient {
    /// Makes librdkafka raise a fatal error as if the cluster had (`rd_kafka_test_fatal_error`);
    /// it is reported through the error callback like a real one. For tests.
    func raiseFatalErrorForTesting(_ code: KafkaError.Code, reason: String) {
        _ = try? withHandle { rd_kafka_test_fatal_error($0, code.rdValue, reason) }
    }
}

extension KafkaProducer {
    /// Raises a librdkafka fatal error on this producer (tests of fatal-error handling).
    func raiseFatalErrorForTesting(_ code: KafkaError.Code) {
        client.raiseFatalErrorForTesting(code, reason: "raised by a test")
    }
}

extension KafkaConsumer {
    /// Raises a librdkafka fatal error on this consumer (tests of fatal-error handling).
    func raiseFatalErrorForTesting(_ code: KafkaError.Code) {
        client.raiseFatalErrorForTesting(code, reason: "raised by a test")
    }
}
