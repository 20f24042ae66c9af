import CRDKafka
import Testing

@testable import Kafka

/// `KafkaError` keeps librdkafka's code and flags; configuration errors name the property and
/// never echo a secret.
@Suite struct KafkaErrorTests {
    @Test func keepsCodeNameAndFlags() {
        let queueFull = KafkaError.from(KafkaError.Code.queueFull.rdValue, "produce")
        #expect(queueFull.code == .queueFull)
        #expect(queueFull.code.name == "_QUEUE_FULL")
        #expect(queueFull.isRetriable)
        #expect(!queueFull.isFatal)
        #expect(queueFull.file.hasSuffix("KafkaErrorTests.swift"))

        let fatal = KafkaError.from(KafkaError.Code.fatal.rdValue, "produce")
        #expect(fatal.isFatal)
        #expect(!fatal.isRetriable)

        let custom = KafkaError(code: KafkaError.Code(rawValue: 3), reason: "gone", isRetriable: true)
        #expect(custom.code == .unknownTopicOrPartition)
        #expect(custom.description.contains("UNKNOWN_TOPIC_OR_PART"))
        #expect(custom.description.contains("retriable"))
    }

    /// A commit while the coordinator is unreachable fails with `_WAIT_COORD` (measured against
    /// the mock with its broker down); the caller must be told it can retry.
    @Test func coordinatorAndTransportFailuresAreRetriable() {
        let codes: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
        ]
        for code in codes {
            #expect(KafkaError.from(code, "commit").isRetriable, "\(KafkaError.Code(code).name)")
        }
        // The member lost its partitions: repeating the same commit is wrong.
        #expect(!KafkaError.from(RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, "commit").isRetriable)
        #expect(!KafkaError.from(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, "commit").isRetriable)
    }

    @Test func rejectedPropertyIsNamed() {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: ["127.0.0.1:1"], groupID: "g")
        // Rejected by librdkafka 2.0.2 (see NOTES-librdkafka.md).
        configuration.properties["max.poll.records"] = "10"
        #expect {
            _ = try KafkaConsumer(configuration: configuration, logger: KafkaTestSupport.logger)
        } throws: { error in
            guard let error = error as? KafkaError else { return false }
            return error.code == .invalidArgument && error.reason.contains("'max.poll.records'")
        }
    }

    @Test func rejectedSecretValueIsNeverEchoed() {
        let secret = "hunter2-do-not-print"
        var configuration = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])
        // An enum property: librdkafka's own message would quote the bad value.
        configuration.properties["sasl.oauthbearer.method"] = secret
        #expect {
            _ = try KafkaProducer(configuration: configuration, logger: KafkaTestSupport.logger)
        } throws: { error in
            guard let error = error as? KafkaError else { return false }
            return error.reason.contains("'sasl.oauthbearer.method'") && !"\(error)".contains(secret)
                && !error.reason.contains(secret)
        }

        var unknown = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])
        unknown.properties["my.client.secret"] = secret
        #expect {
            _ = try KafkaProducer(configuration: unknown, logger: KafkaTestSupport.logger)
        } throws: { error in
            "\(error)".contains("'my.client.secret'") && !"\(error)".contains(secret)
        }
    }

    @Test func nonSecretRejectionKeepsLibrdkafkasReason() {
        var configuration = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration.properties["acks"] = "lots"
        #expect {
            _ = try KafkaProducer(configuration: configuration, logger: KafkaTestSupport.logger)
        } throws: { error in
            // librdkafka's own reason (it names the underlying property) is kept.
            "\(error)".contains("'acks'") && "\(error)".contains("request.required.acks")
        }
    }
}
