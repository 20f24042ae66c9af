import ReferralKit
import ReferralSandbox
import Relay
import Testing

/// Every answer of the sandbox (which verifies each signature) maps to its outcome status;
/// requests that cannot be signed are rejected without a request.
@Suite struct DeliveryStatusTests {
    typealias H = DeliveryHarness

    @Test func registeredThenQualifiedAdvanceWithReferralAndState() async throws {
        try await H.run { harness in
            let registered = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1"))
            #expect(registered.status == .advanced)
            #expect(registered.httpStatus == 200)
            #expect(registered.state == "registered")
            #expect(registered.referralID?.hasPrefix("ref_") == true)
            #expect(registered.attempts == 1)
            #expect(registered.error == nil)
            let first = try #require(registered.firstAttemptAt)
            #expect(first <= registered.completedAt)

            let qualified = try await harness.deliverer.deliver(H.request(.qualified, account: "acc-1"))
            #expect(qualified.status == .advanced)
            #expect(qualified.state == "qualified")
            #expect(qualified.referralID == registered.referralID)

            let log = harness.server.store.log
            #expect(log.map(\.verdict) == [.advanced, .advanced])
            // The body is the contract's: referee_identity is the account id on registered only.
            #expect(log[0].body.contains(#""referee_identity":"acc-1""#))
            #expect(log[0].body.contains(#""server_event_id":"reg-acc-1""#))
            #expect(!log[1].body.contains("referee_identity"))
            #expect(harness.metric(RelayMetrics.Name.httpDuration + "_count", [("event", "registered")]) == 1)
        }
    }

    @Test func replayIsDuplicate() async throws {
        try await H.run { harness in
            let request = H.request(.registered, account: "acc-1")
            _ = try await harness.deliverer.deliver(request)
            let replay = try await harness.deliverer.deliver(request)
            #expect(replay.status == .duplicate)
            #expect(replay.httpStatus == 200)
            #expect(replay.referralID == nil)
        }
    }

    @Test func secondReferrerOfTheSameRefereeIsFirstTouchConflict() async throws {
        try await H.run { harness in
            _ = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1", mmref: "mmr_a"))
            let other = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1", mmref: "mmr_b"))
            #expect(other.status == .firstTouchConflict)
        }
    }

    @Test func dryRunIsTest() async throws {
        try await H.run { harness in
            let result = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1", test: true))
            #expect(result.status == .test)
            #expect(harness.server.store.log.first?.body.contains(#""test":true"#) == true)
        }
    }

    @Test func acceptedWithoutDetailsIsAdvancedWithoutThem() async throws {
        try await H.run { harness in
            let result = try await harness.deliverer.deliver(H.request(.reversed, account: "acc-1"))
            #expect(result.status == .advanced)
            #expect(result.httpStatus == 200)
            #expect(result.referralID == nil && result.state == nil)
        }
    }

    @Test func unknownTokenIsRejectedWithMMOLovesError() async throws {
        try await H.run { harness in
            let result = try await harness.deliverer.deliver(
                H.request(.registered, account: "acc-1", mmref: "mmr_gone"))
            #expect(result.status == .rejected)
            #expect(result.httpStatus == 404)
            #expect(result.error == "unknown token")
            #expect(result.attempts == 1)
        }
    }

    @Test func invalidTransitionOnRegisteredIsRejectedAtOnce() async throws {
        try await H.run { harness in
            _ = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1", mmref: "mmr_one"))
            // The same token registering another referee: one click, one registration.
            let result = try await harness.deliverer.deliver(H.request(.registered, account: "acc-2", mmref: "mmr_one"))
            #expect(result.status == .rejected)
            #expect(result.httpStatus == 422)
            #expect(result.error == "invalid transition")
            #expect(result.attempts == 1)
        }
    }

    @Test func unsignableRequestsAreRejectedWithoutSending() async throws {
        try await H.run { harness in
            let noServer = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1", serverID: nil))
            #expect(noServer.status == .rejected)
            #expect(noServer.error?.contains("no server_id") == true)
            #expect(noServer.attempts == 0)
            #expect(noServer.httpStatus == nil)
            #expect(noServer.firstAttemptAt == nil)

            let unknown = try await harness.deliverer.deliver(
                H.request(.registered, account: "acc-1", serverID: "srv_zz"))
            #expect(unknown.status == .rejected)
            #expect(unknown.error == "no secret configured for server_id 'srv_zz'")
            #expect(unknown.attempts == 0)

            let blankToken = try await harness.deliverer.deliver(H.request(.qualified, account: "acc-1", mmref: "  "))
            #expect(blankToken.status == .rejected)
            #expect(blankToken.error == "missing field: token")
            #expect(blankToken.httpStatus == nil)

            #expect(harness.server.store.log.isEmpty)
            // The secret never appears in a reason.
            for result in [noServer, unknown, blankToken] {
                #expect(result.error?.contains("whsec") == false)
            }
        }
    }
}
