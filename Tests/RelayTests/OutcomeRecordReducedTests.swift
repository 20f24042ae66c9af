import Foundation
import Kafka
import ReferralKit
import Testing

@testable import Relay

/// An outcome too large to publish is published reduced: the status and the ids a reward
/// service needs, `reduced: true`, still referral-outcome/v1.
@Suite struct OutcomeRecordReducedTests {
    static func outcome(account: String = "acct-1001", error: String? = nil) -> OutcomeRecord {
        OutcomeRecord(
            request: OutcomeFixtures.request(.qualified, account: account),
            result: OutcomeFixtures.result(
                .advanced, error: error, referralID: String(repeating: "r", count: 3_000), state: "qualified"))
    }

    @Test func theReducedFormKeepsWhatARewardServiceNeeds() throws {
        let reduced = Self.outcome(error: String(repeating: "e", count: 5_000)).reducedForm()
        #expect(reduced.reduced)
        #expect(reduced.referralID == nil && reduced.state == nil)
        #expect(reduced.error?.count == OutcomeRecord.reducedErrorLength + 1)
        let json = try #require(JSONSerialization.jsonObject(with: Data(reduced.encoded())) as? [String: Any])
        #expect(json["reduced"] as? Bool == true)
        #expect(json["status"] as? String == "advanced")
        #expect(json["event"] as? String == "qualified")
        #expect(json["account_id"] as? String == "acct-1001")
        #expect(json["server_event_id"] as? String == "qual-acct-1001")
        #expect(json["reward"] as? Bool == true)
        let decoded = try JSONDecoder().decode(OutcomeRecord.self, from: Data(reduced.encoded()))
        #expect(decoded == reduced)
        // An ordinary outcome does not write the member at all.
        #expect(!String(decoding: Self.outcome().encoded(), as: UTF8.self).contains("reduced"))
    }

    @Test func theRecordShrinksStepByStepToFit() throws {
        let outcome = Self.outcome(account: String(repeating: "a", count: 2_000))
        let full = outcome.producerRecord(topic: "referral-outcomes")
        #expect(outcome.producerRecord(topic: "referral-outcomes", maxBytes: full.sizeEstimate) == full)

        // Without referral_id and state, still keyed by the account id.
        let keyed = try #require(outcome.producerRecord(topic: "referral-outcomes", maxBytes: full.sizeEstimate - 1))
        #expect(keyed.key == Array(outcome.accountID.utf8))
        #expect(keyed.value == outcome.reducedForm().encoded())

        // Then keyed by the account id's hash.
        let hashed = try #require(outcome.producerRecord(topic: "referral-outcomes", maxBytes: keyed.sizeEstimate - 1))
        #expect(hashed.key == Array(OutcomeRecord.hashedKey(accountID: outcome.accountID).utf8))
        #expect(hashed.value == keyed.value)
        #expect(OutcomeRecord.hashedKey(accountID: "acct-1").count == "sha256:".count + 64)

        // Then nothing fits: the account id alone is too large.
        #expect(outcome.producerRecord(topic: "referral-outcomes", maxBytes: hashed.sizeEstimate - 1) == nil)
    }

    @Test func theSmallestSizeBoundsEveryOutcomeOfARequest() {
        let request = OutcomeFixtures.request(.qualified, account: String(repeating: "a", count: 1_000))
        let smallest = OutcomeRecord.smallestSize(of: request)
        for status in OutcomeStatus.allCases {
            let outcome = OutcomeRecord(
                request: request, result: OutcomeFixtures.result(status, error: String(repeating: "x", count: 900)))
            #expect(outcome.producerRecord(topic: "referral-outcomes", maxBytes: smallest) != nil, "\(status)")
        }
    }
}
