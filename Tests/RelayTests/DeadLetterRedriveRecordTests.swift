import Kafka
import Relay
import Testing

/// ``DeadLetter/redriveRecord(for:run:)``: a dead letter back into its original record.
@Suite struct DeadLetterRedriveRecordTests {
    static func header(_ record: KafkaProducerRecord, _ name: String) -> String? {
        record.headers.first { $0.key == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func keepsKeyValueAndOriginalHeadersDropsContextAddsTheRunAndSource() throws {
        let original = KafkaConsumerMessage(
            topic: "account-created", partition: 2, offset: 77, key: [0x61, 0x00, 0xFF], value: [0x7B, 0xFF, 0x00],
            headers: [
                KafkaHeader(key: "traceparent", value: Array("00-abc-01".utf8)),
                KafkaHeader(key: "flag", value: nil),
                KafkaHeader(key: "dup", value: Array("1".utf8)),
                KafkaHeader(key: "dup", value: Array("2".utf8)),
            ],
            timestamp: KafkaTimestamp(milliseconds: 1_795_572_555_000, kind: .createTime)
        )
        let dead = DeadLetter.record(for: original, topic: "referral-dlq", stage: .decode, reason: "not JSON")
        let message = KafkaConsumerMessage(
            topic: "referral-dlq", partition: 3, offset: 12, key: dead.key, value: dead.value, headers: dead.headers)

        let record = try #require(DeadLetter.redriveRecord(for: message, run: "nov-outage"))
        #expect(record.topic == "account-created")
        #expect(record.partition == 2)
        #expect(record.key == original.key)
        #expect(record.value == original.value)
        #expect(record.timestamp == nil)
        #expect(Array(record.headers.prefix(4)) == original.headers)
        #expect(
            record.headers.map(\.key) == [
                "traceparent", "flag", "dup", "dup", "referral-relay.redrive.run", "referral-relay.redrive.source",
            ])
        #expect(Self.header(record, "referral-relay.redrive.run") == "nov-outage")
        #expect(Self.header(record, "referral-relay.redrive.source") == "referral-dlq/3/12")
        #expect(!record.headers.contains { $0.key.hasPrefix("__connect.errors.") })
    }

    @Test func anEarlierRunsHeadersAreReplaced() throws {
        let original = KafkaConsumerMessage(
            topic: "milestone-reached", partition: 0, offset: 1, key: nil, value: [],
            headers: [
                KafkaHeader(key: "referral-relay.redrive.run", value: Array("first".utf8)),
                KafkaHeader(key: "referral-relay.redrive.source", value: Array("referral-dlq/0/0".utf8)),
                KafkaHeader(key: "kept", value: Array("yes".utf8)),
            ])
        let dead = DeadLetter.record(for: original, topic: "referral-dlq", stage: .deliver, reason: "failed")
        let message = KafkaConsumerMessage(
            topic: "referral-dlq", partition: 0, offset: 5, key: nil, value: [], headers: dead.headers)

        let record = try #require(DeadLetter.redriveRecord(for: message, run: "second"))
        #expect(record.key == nil)
        #expect(
            record.headers.map(\.key) == ["kept", "referral-relay.redrive.run", "referral-relay.redrive.source"])
        #expect(Self.header(record, "referral-relay.redrive.run") == "second")
    }

    @Test func noUsableOriginalTopicGivesNoRecord() {
        for headers in [
            [],
            [KafkaHeader(key: "__connect.errors.topic", value: nil)],
            [KafkaHeader(key: "__connect.errors.topic", value: [0xFF])],
            [KafkaHeader(key: "__connect.errors.topic", value: Array("a/b".utf8))],
        ] {
            let message = KafkaConsumerMessage(
                topic: "referral-dlq", partition: 0, offset: 0, key: nil, value: [], headers: headers)
            #expect(DeadLetter.redriveRecord(for: message, run: "r") == nil)
        }
    }
}
