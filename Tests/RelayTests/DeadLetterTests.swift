import Foundation
import Kafka
import Relay
import Testing

/// Dead letters keep the original record and add `__connect.errors.*` context headers.
@Suite struct DeadLetterTests {
    static func header(_ record: KafkaProducerRecord, _ name: String) -> String? {
        record.headers.first { $0.key == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func decodeFailureKeepsTheOriginalAndAddsContext() {
        let original = KafkaConsumerMessage(
            topic: "account-created",
            partition: 2,
            offset: 77,
            key: Array("acct-9".utf8),
            value: [0x7B, 0xFF],
            headers: [
                KafkaHeader(key: "traceparent", value: Array("00-abc-01".utf8)),
                KafkaHeader(key: "__connect.errors.stage", value: Array("transform".utf8)),
                KafkaHeader(key: "flag", value: nil),
            ],
            timestamp: KafkaTimestamp(milliseconds: 1_795_572_555_000, kind: .createTime)
        )
        let record = DeadLetter.record(
            for: original,
            topic: "referral-dlq",
            stage: .decode,
            reason: "value is not valid JSON"
        )
        #expect(record.topic == "referral-dlq")
        #expect(record.key == original.key)
        #expect(record.value == original.value)
        #expect(
            record.headers.map(\.key) == [
                "traceparent", "flag",
                "__connect.errors.topic", "__connect.errors.partition", "__connect.errors.offset",
                "__connect.errors.timestamp", "__connect.errors.stage", "__connect.errors.exception.message",
                "__connect.errors.connector.name", "__connect.errors.schema",
            ]
        )
        #expect(record.headers[0] == original.headers[0])
        #expect(record.headers[1] == original.headers[2])
        #expect(Self.header(record, "__connect.errors.topic") == "account-created")
        #expect(Self.header(record, "__connect.errors.partition") == "2")
        #expect(Self.header(record, "__connect.errors.offset") == "77")
        #expect(Self.header(record, "__connect.errors.timestamp") == "1795572555000")
        #expect(Self.header(record, "__connect.errors.stage") == "decode")
        #expect(Self.header(record, "__connect.errors.exception.message") == "value is not valid JSON")
        #expect(Self.header(record, "__connect.errors.connector.name") == "referral-relay")
        #expect(Self.header(record, "__connect.errors.schema") == "referral-dlq/v1")
    }

    @Test func deliverFailureCarriesTheHTTPStatusAndNoKeyStaysNoKey() {
        let original = KafkaConsumerMessage(
            topic: "milestone-reached",
            partition: 0,
            offset: 5,
            key: nil,
            value: Array(#"{"account_id":"a","milestone":"m","mmref":"x"}"#.utf8)
        )
        let record = DeadLetter.record(
            for: original,
            topic: "dlq",
            stage: .deliver,
            reason: String(repeating: "x", count: 5_000),
            httpStatus: 404
        )
        #expect(record.key == nil)
        #expect(Self.header(record, "__connect.errors.stage") == "deliver")
        #expect(Self.header(record, "__connect.errors.http.status") == "404")
        #expect(Self.header(record, "__connect.errors.timestamp") == nil)
        #expect((Self.header(record, "__connect.errors.exception.message")?.count ?? 0) <= 501)
    }
}

/// The dead-letter examples that `tests/schemas` validates against `schemas/referral-dlq.v1.json`
/// are what ``DeadLetter`` builds from the record and context they describe.
@Suite struct DeadLetterSchemaExamplesTests {
    @Test func validExamplesAreWhatTheBuilderWrites() throws {
        let files = try ContractExamples.files("referral-dlq", "valid")
        #expect(files.count >= 3)
        for file in files {
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(ContractExamples.bytes(file))) as? [String: Any]
            )
            let headers = try #require(json["headers"] as? [String: String])
            func context(_ name: String) -> String? { headers[DeadLetter.headerPrefix + name] }
            // A truncated example's original is its value, padded with its last byte to
            // `original.size` and closed by `"}` (what the example describes).
            var value = Array(try #require(json["value"] as? String).utf8)
            let shown = value.count
            if let size = context("original.size").flatMap({ Int($0) }), let last = value.last {
                value += Array(repeating: last, count: size - value.count - 2) + Array(#""}"#.utf8)
            }
            let original = KafkaConsumerMessage(
                topic: try #require(context("topic")),
                partition: try #require(context("partition").flatMap { Int32($0) }),
                offset: try #require(context("offset").flatMap { Int64($0) }),
                key: (json["key"] as? String).map { Array($0.utf8) },
                value: value,
                headers: headers.filter { !$0.key.hasPrefix(DeadLetter.headerPrefix) }
                    .map { KafkaHeader(key: $0.key, value: Array($0.value.utf8)) },
                timestamp: context("timestamp").flatMap { Int64($0) }
                    .map { KafkaTimestamp(milliseconds: $0, kind: .createTime) }
            )
            func build(maxBytes: Int?) throws -> KafkaProducerRecord {
                DeadLetter.record(
                    for: original,
                    topic: "referral-dlq",
                    stage: try #require(context("stage").flatMap(DeadLetterStage.init(rawValue:))),
                    reason: try #require(context("exception.message")),
                    httpStatus: context("http.status").flatMap { Int($0) },
                    replay: context("replay"),
                    maxBytes: maxBytes
                )
            }
            var record = try build(maxBytes: nil)
            if context("truncated") != nil {
                // The room left for the value grows byte for byte with the limit.
                let probe = try build(maxBytes: 10_000)
                record = try build(maxBytes: 10_000 + shown - probe.value.count)
            }
            var written: [String: String] = [:]
            for header in record.headers {
                written[header.key] = header.value.map { String(decoding: $0, as: UTF8.self) }
            }
            #expect(written == headers, "\(file.lastPathComponent)")
            #expect(record.headers.count == headers.count, "\(file.lastPathComponent)")
            #expect(record.key == original.key && record.value == Array(original.value.prefix(shown)))
        }
    }
}
