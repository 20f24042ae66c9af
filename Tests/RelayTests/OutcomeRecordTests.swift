import Foundation
import Kafka
import ReferralKit
import Relay
import Testing

/// Outcome records: the reward rule, the JSON written field by field, the golden files that
/// `tests/schemas` validates against `schemas/referral-outcome.v1.json`, and the Kafka record.
@Suite struct OutcomeRecordTests {
    /// Parses `bytes` as a JSON object (a second, independent reader of our output).
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test(arguments: OutcomeStatus.allCases)
    func rewardExactlyForQualifiedAdvancedOrDuplicate(status: OutcomeStatus) throws {
        for kind in [ReferralEvent.Kind.registered, .qualified] {
            let record = OutcomeRecord(request: OutcomeFixtures.request(kind), result: OutcomeFixtures.result(status))
            let expected = kind == .qualified && (status == .advanced || status == .duplicate)
            #expect(record.reward == expected)
            #expect(try Self.object(record.encoded())["reward"] as? Bool == expected)
        }
    }

    @Test func everyFieldIsWrittenInTheSchemaOrder() throws {
        let record = try #require(OutcomeFixtures.golden["qualified-advanced.json"])
        let text = String(decoding: record.encoded(), as: UTF8.self)
        let keys = [
            "schema", "status", "event", "account_id", "server_id", "server_event_id", "mmref", "referral_id",
            "state", "reward", "http_status", "error", "attempts", "first_attempt_at", "completed_at", "source",
            "topic", "partition", "offset", "timestamp", "replay",
        ]
        let positions = keys.map { text.range(of: "\"\($0)\":")?.lowerBound }
        #expect(!positions.contains(nil))
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())

        let json = try Self.object(record.encoded())
        #expect(json["schema"] as? String == "referral-outcome/v1")
        #expect(json["status"] as? String == "advanced")
        #expect(json["event"] as? String == "qualified")
        #expect(json["account_id"] as? String == "acct-1001")
        #expect(json["server_id"] as? String == "eu-1")
        #expect(json["server_event_id"] as? String == "qual-acct-1001")
        #expect(json["mmref"] as? String == "mmr_7Hq2")
        #expect(json["referral_id"] as? String == "ref_9f2c")
        #expect(json["state"] as? String == "qualified")
        #expect(json["http_status"] as? Int == 200)
        #expect(json["error"] is NSNull)
        #expect(json["attempts"] as? Int == 3)
        #expect(json["first_attempt_at"] as? String == "2026-11-25T02:09:15.123Z")
        #expect(json["completed_at"] as? String == "2026-11-25T02:09:15.456Z")
        let source = try #require(json["source"] as? [String: Any])
        #expect(source["topic"] as? String == "milestone-reached")
        #expect(source["partition"] as? Int == 3)
        #expect(source["offset"] as? Int == 1042)
        #expect(source["timestamp"] as? String == "2026-11-25T02:09:14.000Z")
        #expect(json["replay"] as? Bool == false)
        #expect(json.count == 17)
    }

    @Test func absentAnswersAreNullOrOmitted() throws {
        let record = try #require(OutcomeFixtures.golden["registered-rejected-no-server.json"])
        let json = try Self.object(record.encoded())
        #expect(json["referral_id"] == nil && json["state"] == nil)
        #expect(json["server_id"] is NSNull)
        #expect(json["http_status"] is NSNull)
        #expect(json["first_attempt_at"] is NSNull)
        #expect(json["attempts"] as? Int == 0)
        #expect(json["error"] as? String == "no server_id and no default server")
        let transport = try #require(OutcomeFixtures.golden["qualified-failed-transport.json"])
        let transportJSON = try Self.object(transport.encoded())
        #expect(transportJSON["http_status"] as? Int == 0)
        #expect((transportJSON["source"] as? [String: Any])?["timestamp"] is NSNull)
    }

    /// Set `UPDATE_GOLDEN_OUTCOMES=1` to rewrite the files after a deliberate format change (then
    /// run `tests/schemas` to prove the new files still conform).
    @Test func encoderOutputEqualsTheGoldenFilesByteForByte() throws {
        let directory = ContractExamples.directory("referral-outcome", "valid")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN_OUTCOMES"] == "1" {
            for (name, record) in OutcomeFixtures.golden {
                try Data(record.encoded()).write(to: directory.appendingPathComponent(name))
            }
        }
        let files = try ContractExamples.files("referral-outcome", "valid")
        #expect(Set(files.map(\.lastPathComponent)) == Set(OutcomeFixtures.golden.keys))
        for (name, record) in OutcomeFixtures.golden {
            let golden = try ContractExamples.bytes(directory.appendingPathComponent(name))
            #expect(record.encoded() == golden, "\(name) differs from the encoder's output")
        }
    }

    @Test func goldenFilesDecodeBackToTheSameOutcome() throws {
        for (name, record) in OutcomeFixtures.golden {
            let bytes = try ContractExamples.bytes(
                ContractExamples.directory("referral-outcome", "valid").appendingPathComponent(name))
            let decoded = try JSONDecoder().decode(OutcomeRecord.self, from: Data(bytes))
            #expect(decoded.encoded() == bytes, "\(name)")
            #expect(
                decoded.status == record.status && decoded.reward == record.reward && decoded.source == record.source)
        }
    }

    @Test func decodingRefusesABrokenRewardRule() throws {
        let bytes = try #require(OutcomeFixtures.golden["registered-advanced.json"]).encoded()
        let tampered = String(decoding: bytes, as: UTF8.self).replacingOccurrences(
            of: "\"reward\":false", with: "\"reward\":true")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(OutcomeRecord.self, from: Data(tampered.utf8)) }
    }

    @Test func producerRecordIsKeyedByAccountWithContentHeaders() throws {
        let record = try #require(OutcomeFixtures.golden["qualified-test.json"])
        let kafka = record.producerRecord(topic: "referral-outcomes")
        #expect(kafka.topic == "referral-outcomes")
        #expect(kafka.key == Array("acct-1001".utf8))
        #expect(kafka.value == record.encoded())
        #expect(kafka.partition == nil)
        #expect(
            kafka.headers == [
                KafkaHeader(key: "content-type", value: Array("application/json".utf8)),
                KafkaHeader(key: "schema", value: Array("referral-outcome/v1".utf8)),
            ]
        )
    }
}
