import Kafka
import ReferralKit
import Relay
import Testing

/// Size limits of the input: a record larger than `relay.maxInputBytes` and an event whose
/// smallest outcome exceeds the producer's limit are malformed (stage decode) before any work.
@Suite struct InputMapperSizeTests {
    static func mapper(maxInput: Int = 262_144, maxOutcome: Int? = nil) -> RelayInputMapper {
        var mapper = InputMapperTests.mapper()
        mapper.maxInputBytes = maxInput
        mapper.maxOutcomeBytes = maxOutcome
        return mapper
    }

    @Test func aRecordOverTheInputLimitIsMalformedNamingSizeAndLimit() {
        let json = #"{"account_id":"acct-1","mmref":"m","pad":"\#(String(repeating: "p", count: 2_000))"}"#
        let size = json.utf8.count + 1  // the key "k"
        #expect(
            Self.mapper(maxInput: size - 1).decide(InputMapperTests.message(json))
                == .malformed(
                    reason: "record of \(size) bytes (key and value) exceeds the input limit of \(size - 1) bytes"))
        #expect(InputMapperTests.request(Self.mapper(maxInput: size).decide(InputMapperTests.message(json))) != nil)
    }

    @Test func anAccountIdNoOutcomeCouldCarryIsNeverSent() throws {
        let account = String(repeating: "a", count: 3_000)
        let json = #"{"account_id":"\#(account)","mmref":"m"}"#
        let decision = Self.mapper(maxOutcome: 6_000).decide(InputMapperTests.message(json))
        guard case .malformed(let reason) = decision else {
            Issue.record("\(decision)")
            return
        }
        #expect(reason.hasPrefix("account_id of 3000 bytes: even a reduced outcome ("))
        #expect(reason.hasSuffix("would exceed the producer's limit of 6000 bytes; not sent"))
        let request = try #require(
            InputMapperTests.request(Self.mapper(maxOutcome: 10_000).decide(InputMapperTests.message(json))))
        #expect(OutcomeRecord.smallestSize(of: request) <= 10_000)
    }
}
