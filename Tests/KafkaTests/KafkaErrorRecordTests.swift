import CRDKafka
import Testing

@testable import Kafka

/// What a failed send means for the record: permanent (too large, invalid: settle it without
/// that record), an unknown topic (permanent after a grace), transient (retry) or fatal.
@Suite struct KafkaErrorRecordTests {
    static func error(_ code: rd_kafka_resp_err_t, fatal: Bool = false) -> KafkaError {
        var error = KafkaError.from(code, "delivery to referral-outcomes")
        if fatal { error.isFatal = true }
        return error
    }

    @Test func aRecordTooLargeOrInvalidIsPermanent() {
        // The first is librdkafka's own check against message.max.bytes and the broker's answer alike.
        let permanent: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
            RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, RD_KAFKA_RESP_ERR_INVALID_MSG, RD_KAFKA_RESP_ERR_INVALID_RECORD,
            RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP,
        ]
        for code in permanent {
            let error = Self.error(code)
            #expect(error.recordFailure == .permanent, "\(error.code.name)")
            #expect(error.isPermanentForRecord, "\(error.code.name)")
        }
        #expect(Self.error(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE).isRecordTooLarge)
        #expect(Self.error(RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE).isRecordTooLarge)
        #expect(!Self.error(RD_KAFKA_RESP_ERR_INVALID_RECORD).isRecordTooLarge)
    }

    @Test func anUnknownTopicIsPermanentOnlyIfItLasts() {
        for code in [
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
            RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
        ] {
            #expect(Self.error(code).recordFailure == .unknownTopic)
            #expect(!Self.error(code).isPermanentForRecord)
        }
    }

    @Test func outagesTimeoutsAndUnnamedCodesAreTransient() {
        let transient: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        ]
        for code in transient {
            #expect(Self.error(code).recordFailure == .transient, "\(KafkaError.Code(code).name)")
        }
        #expect(KafkaError(code: KafkaError.Code(rawValue: 9_999), reason: "new").recordFailure == .transient)
    }

    @Test func fatalWinsOverEverything() {
        let fatal = Self.error(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, fatal: true)
        #expect(fatal.recordFailure == .fatal)
        #expect(!fatal.isRecordTooLarge)
    }

    @Test func sizeEstimateCountsKeyValueHeadersAndOverhead() {
        let record = KafkaProducerRecord(
            topic: "t", key: [1, 2, 3], value: Array(repeating: 0, count: 100),
            headers: [KafkaHeader(key: "ab", value: [1, 2]), KafkaHeader(key: "n", value: nil)])
        #expect(record.sizeEstimate == KafkaProducerRecord.sizeOverhead + 3 + 100 + (2 + 2 + 10) + (1 + 10))
    }
}
