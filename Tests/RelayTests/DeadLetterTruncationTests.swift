import Kafka
import Testing

@testable import Relay

/// A dead letter larger than the producer's limit keeps as much of the original as fits and
/// says what it lost.
@Suite struct DeadLetterTruncationTests {
    static func original(key: Int, value: [UInt8], headers: [KafkaHeader] = []) -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: "account-created", partition: 1, offset: 7, key: Array(repeating: UInt8(ascii: "k"), count: key),
            value: value, headers: headers,
            timestamp: KafkaTimestamp(milliseconds: 1_795_572_555_000, kind: .createTime))
    }

    static func letter(_ message: KafkaConsumerMessage, maxBytes: Int?) -> KafkaProducerRecord {
        DeadLetter.record(
            for: message, topic: "referral-dlq", stage: .decode, reason: "too large", maxBytes: maxBytes)
    }

    @Test func aLetterThatFitsIsUnchanged() {
        let message = Self.original(key: 5, value: Array("{}".utf8))
        #expect(Self.letter(message, maxBytes: 2_000) == Self.letter(message, maxBytes: nil))
        #expect(DeadLetterTests.header(Self.letter(message, maxBytes: 2_000), DeadLetter.truncatedHeader) == nil)
    }

    @Test func theValueIsCutTheKeyAndHeadersKeptAndTheLossNamed() {
        let value = Array(repeating: UInt8(ascii: "v"), count: 1_048_576)
        let message = Self.original(
            key: 9, value: value, headers: [KafkaHeader(key: "traceparent", value: Array("00-1-01".utf8))])
        let letter = Self.letter(message, maxBytes: 10_000)
        #expect(letter.sizeEstimate <= 10_000)
        #expect(letter.sizeEstimate > 9_000, "most of the room goes to the value")
        #expect(letter.key == message.key)
        #expect(letter.value == Array(value.prefix(letter.value.count)))
        #expect(letter.headers.first?.key == "traceparent")
        #expect(DeadLetterTests.header(letter, DeadLetter.truncatedHeader) == "value")
        #expect(DeadLetterTests.header(letter, DeadLetter.originalSizeHeader) == "1048576")
        #expect(DeadLetterTests.header(letter, "__connect.errors.offset") == "7")
        #expect(DeadLetterTests.header(letter, "__connect.errors.exception.message") == "too large")
    }

    @Test func aKeyOrHeadersTooLargeToShareTheRoomAreDropped() {
        let message = Self.original(
            key: 6_000, value: Array(repeating: UInt8(ascii: "v"), count: 3_000),
            headers: [KafkaHeader(key: "blob", value: Array(repeating: 1, count: 5_000))])
        let letter = Self.letter(message, maxBytes: 10_000)
        #expect(letter.sizeEstimate <= 10_000)
        #expect(letter.key == nil)
        #expect(!letter.headers.contains { $0.key == "blob" })
        #expect(letter.value.count == 3_000)
        #expect(DeadLetterTests.header(letter, DeadLetter.truncatedHeader) == "headers,key")
        #expect(DeadLetterTests.header(letter, DeadLetter.originalSizeHeader) == nil)
    }

    @Test func aCutNeverSplitsAUTF8Character() {
        let text = Array(String(repeating: "é", count: 10).utf8)  // 2 bytes each
        #expect(DeadLetter.prefix(text, maxBytes: 5) == Array("éé".utf8))
        #expect(DeadLetter.prefix(text, maxBytes: 6) == Array("ééé".utf8))
        let binary: [UInt8] = Array(repeating: 0x80, count: 10)
        #expect(DeadLetter.prefix(binary, maxBytes: 5).count == 5)
    }
}
