import Foundation
import ReferralKit
import Relay

/// Fixed outcomes, one per golden file in `schemas/examples/referral-outcome/valid/` (the file
/// name is the key). The files are exactly what ``OutcomeRecord/encoded()`` writes for these
/// values; `tests/schemas` validates the same files against the schema.
enum OutcomeFixtures {
    static let first = Date(timeIntervalSince1970: 1_795_572_555.123)
    static let done = Date(timeIntervalSince1970: 1_795_572_555.456)

    static func request(
        _ kind: ReferralEvent.Kind,
        account: String = "acct-1001",
        serverID: String? = "eu-1",
        timestamp: Int64? = 1_795_572_554_000
    ) -> DeliveryRequest {
        DeliveryRequest(
            kind: kind,
            accountID: account,
            mmref: "mmr_7Hq2",
            serverID: serverID,
            serverEventID: (kind == .registered ? "reg-" : "qual-") + account,
            ts: 1_795_572_554,
            source: RecordSource(
                topic: kind == .registered ? "account-created" : "milestone-reached",
                partition: 3,
                offset: 1042,
                timestampMilliseconds: timestamp
            )
        )
    }

    static func result(
        _ status: OutcomeStatus,
        http: Int? = 200,
        error: String? = nil,
        referralID: String? = nil,
        state: String? = nil,
        attempts: Int = 1,
        first: Date? = first
    ) -> DeliveryResult {
        DeliveryResult(
            status: status,
            httpStatus: http,
            error: error,
            referralID: referralID,
            state: state,
            attempts: attempts,
            firstAttemptAt: first,
            completedAt: done
        )
    }

    /// Golden file name → the outcome it holds.
    static let golden: [String: OutcomeRecord] = [
        "registered-advanced.json": OutcomeRecord(
            request: request(.registered),
            result: result(.advanced, referralID: "ref_9f2c", state: "registered")
        ),
        "qualified-advanced.json": OutcomeRecord(
            request: request(.qualified),
            result: result(.advanced, referralID: "ref_9f2c", state: "qualified", attempts: 3)
        ),
        // Published when the whole outcome is larger than the producer may send.
        "qualified-advanced-reduced.json": OutcomeRecord(
            request: request(.qualified),
            result: result(.advanced, referralID: "ref_9f2c", state: "qualified", attempts: 3)
        ).reducedForm(),
        "qualified-duplicate.json": OutcomeRecord(request: request(.qualified), result: result(.duplicate)),
        "registered-duplicate.json": OutcomeRecord(request: request(.registered), result: result(.duplicate)),
        "registered-first-touch-conflict.json": OutcomeRecord(
            request: request(.registered),
            result: result(.firstTouchConflict)
        ),
        "qualified-test.json": OutcomeRecord(request: request(.qualified), result: result(.test)),
        "qualified-rejected-unknown-token.json": OutcomeRecord(
            request: request(.qualified),
            result: result(.rejected, http: 404, error: "unknown token")
        ),
        "registered-rejected-no-server.json": OutcomeRecord(
            request: request(.registered, serverID: nil),
            result: result(.rejected, http: nil, error: "no server_id and no default server", attempts: 0, first: nil)
        ),
        "qualified-failed-transport.json": OutcomeRecord(
            request: request(.qualified, timestamp: nil),
            result: result(.failed, http: 0, error: "connection reset by peer", attempts: 5)
        ),
        "registered-advanced-replay-unicode.json": OutcomeRecord(
            request: request(.registered, account: "игрок \"7\"\\\u{1}"),
            result: result(.advanced, referralID: "ref_ü", state: "registered"),
            replay: true
        ),
    ]
}
