import AsyncHTTPClient
import ReferralKit
import ReferralSandbox
import Testing

/// Walks every row of CONTRACT.md's response table through the real `ReferralClient` against the
/// real sandbox over loopback, asserting status, exact body and classification.
@Suite("Contract walk: ReferralClient against the sandbox")
struct ContractWalkTests {
    private static func client(
        _ address: SandboxAddress, clock: ReferralClock = .system, secret: ReferralSecret = SandboxHarness.secret
    )
        throws -> ReferralClient
    {
        try ReferralClient(
            credentials: ReferralCredentials([
                "srv_42": secret, "srv_off": secret, "srv_nokey": secret, "srv_nowhere": secret,
            ]),
            endpoint: address.eventsURL,
            httpClient: .shared,
            timeout: .seconds(10),
            clock: clock
        )
    }

    private static func expectRow(
        _ result: SendResult,
        status: Int,
        body: String? = nil,
        _ expected: ReferralResponse,
        final: Bool,
        retryable: Bool,
        perEvent: Bool,
        systemic: Bool,
        _ row: Comment,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == status, row, sourceLocation: sourceLocation)
        if let body { #expect(result.body == body, row, sourceLocation: sourceLocation) }
        #expect(result.response == expected, row, sourceLocation: sourceLocation)
        #expect(result.response.isFinal == final, row, sourceLocation: sourceLocation)
        #expect(result.response.isRetryable == retryable, row, sourceLocation: sourceLocation)
        #expect(result.response.isPerEvent == perEvent, row, sourceLocation: sourceLocation)
        #expect(result.response.isSystemic == systemic, row, sourceLocation: sourceLocation)
    }

    @Test func acceptedRowsAreFinal() async throws {
        try await SandboxHarness.withSandbox { address, _ in
            let client = try Self.client(address)
            let registered = try await client.registered(
                token: "mmr_a", refereeIdentity: "p-1", serverEventId: "reg-1", serverId: "srv_42")
            Self.expectRow(
                registered, status: 200, body: #"{"ok":true,"referral_id":"ref_1","state":"registered"}"#,
                .advanced(referralID: "ref_1", state: .registered), final: true, retryable: false, perEvent: false,
                systemic: false, "200 advanced registered")
            let replay = try await client.registered(
                token: "mmr_a", refereeIdentity: "p-1", serverEventId: "reg-1", serverId: "srv_42")
            Self.expectRow(
                replay, status: 200, body: #"{"ok":true,"duplicate":true}"#, .duplicate, final: true, retryable: false,
                perEvent: false, systemic: false, "200 duplicate")
            let qualified = try await client.qualified(token: "mmr_a", serverEventId: "qual-1", serverId: "srv_42")
            Self.expectRow(
                qualified, status: 200, body: #"{"ok":true,"referral_id":"ref_1","state":"qualified"}"#,
                .advanced(referralID: "ref_1", state: .qualified), final: true, retryable: false, perEvent: false,
                systemic: false, "200 advanced qualified")
            let again = try await client.qualified(token: "mmr_a", serverEventId: "qual-2", serverId: "srv_42")
            Self.expectRow(
                again, status: 200, body: #"{"ok":true,"referral_id":"ref_1","state":"qualified"}"#,
                .advanced(referralID: "ref_1", state: .qualified), final: true, retryable: false, perEvent: false,
                systemic: false, "200 idempotent no-op into qualified")
            let conflict = try await client.registered(
                token: "mmr_b", refereeIdentity: "p-1", serverEventId: "reg-1b", serverId: "srv_42")
            Self.expectRow(
                conflict, status: 200, body: #"{"ok":true,"ignored":"first_touch_conflict"}"#, .firstTouchConflict,
                final: true, retryable: false, perEvent: false, systemic: false, "200 first_touch_conflict")
            let dryRun = try await client.registered(
                token: "mmr_c", refereeIdentity: "p-9", serverEventId: "test-1", test: true, serverId: "srv_42")
            Self.expectRow(
                dryRun, status: 200, body: #"{"ok":true,"test":true}"#, .test, final: true, retryable: false,
                perEvent: false, systemic: false, "200 test")
        }
    }

    @Test func perEventRowsAreFinalRejectionsOrBoundedRetries() async throws {
        try await SandboxHarness.withSandbox { address, _ in
            let client = try Self.client(address)
            let malformed = try await client.send(
                body: Array(#"{"event":"qualified","server_id":"srv_42","server_event_id":"q"}"#.utf8),
                serverId: "srv_42")
            Self.expectRow(
                malformed, status: 400, body: #"{"error":"missing field: token"}"#,
                .rejected(status: 400, error: "missing field: token"), final: true, retryable: false, perEvent: true,
                systemic: false, "400 missing field")
            let notJSON = try await client.send(body: Array("{\"server_id\":".utf8), serverId: "srv_42")
            Self.expectRow(
                notJSON, status: 400, body: #"{"error":"body is not valid JSON"}"#,
                .rejected(status: 400, error: "body is not valid JSON"), final: true, retryable: false, perEvent: true,
                systemic: false, "400 not JSON")
            for token in ["mmr_gone", "mmr_old"] {
                let unknown = try await client.qualified(token: token, serverEventId: "q-\(token)", serverId: "srv_42")
                Self.expectRow(
                    unknown, status: 404, body: #"{"error":"unknown token"}"#,
                    .rejected(status: 404, error: "unknown token"), final: true, retryable: false, perEvent: true,
                    systemic: false, "404 unknown token \(token)")
            }
            let early = try await client.qualified(token: "mmr_late", serverEventId: "qual-late", serverId: "srv_42")
            Self.expectRow(
                early, status: 422, body: #"{"error":"invalid transition"}"#,
                .invalidTransition(error: "invalid transition"),
                final: false, retryable: true, perEvent: true, systemic: false, "422 qualified before registered")
        }
    }

    @Test func systemicRowsHoldEvents() async throws {
        try await SandboxHarness.withSandbox { address, _ in
            let wrongSecret = try Self.client(address, secret: ReferralSecret("not-the-secret"))
            let bad = try await wrongSecret.qualified(token: "mmr_a", serverEventId: "q", serverId: "srv_42")
            Self.expectRow(
                bad, status: 401, body: #"{"error":"bad_signature"}"#, .systemic(status: 401, error: "bad_signature"),
                final: false, retryable: false, perEvent: false, systemic: true, "401 bad_signature")
            let skewed = try Self.client(address, clock: .skewed(by: -301))
            let stale = try await skewed.qualified(token: "mmr_a", serverEventId: "q", serverId: "srv_42")
            Self.expectRow(
                stale, status: 401, body: #"{"error":"stale_timestamp"}"#,
                .systemic(status: 401, error: "stale_timestamp"),
                final: false, retryable: false, perEvent: false, systemic: true, "401 stale_timestamp")
            let client = try Self.client(address)
            let rows: [(String, String)] = [
                ("srv_nowhere", "unknown server"), ("srv_off", "referrals not enabled"),
                ("srv_nokey", "no secret configured"),
            ]
            for (server, error) in rows {
                let result = try await client.qualified(token: "mmr_a", serverEventId: "q", serverId: server)
                Self.expectRow(
                    result, status: 404, body: "{\"error\":\"\(error)\"}", .systemic(status: 404, error: error),
                    final: false,
                    retryable: false, perEvent: false, systemic: true, "404 \(error)")
            }
        }
    }

    @Test func retryableRowsCarryRetryAfter() async throws {
        try await SandboxHarness.withSandbox { address, server in
            let client = try Self.client(address)
            try server.store.setFaults(SandboxFaults(failFirst: 1))
            let failure = try await client.qualified(token: "mmr_a", serverEventId: "q", serverId: "srv_42")
            Self.expectRow(
                failure, status: 500, .retryable(status: 500, retryAfter: nil), final: false, retryable: true,
                perEvent: false, systemic: false, "500")
            try server.store.setFaults(SandboxFaults(throttleFirst: 1, retryAfter: "3"))
            let throttled = try await client.qualified(token: "mmr_a", serverEventId: "q", serverId: "srv_42")
            Self.expectRow(
                throttled, status: 429, .retryable(status: 429, retryAfter: .seconds(3)), final: false, retryable: true,
                perEvent: false, systemic: false, "429 Retry-After seconds")
            try server.store.setFaults(
                SandboxFaults(throttleFirst: 1, throttleStatus: 503, retryAfter: "Wed, 21 Oct 2026 07:28:00 GMT"))
            let unavailable = try await client.qualified(token: "mmr_a", serverEventId: "q", serverId: "srv_42")
            Self.expectRow(
                unavailable, status: 503, .retryable(status: 503, retryAfter: .date(1_792_567_680)), final: false,
                retryable: true, perEvent: false, systemic: false, "503 Retry-After date")
            try server.store.setFaults(SandboxFaults(dropFirst: 1))
            await #expect {
                try await client.qualified(token: "mmr_a", serverEventId: "q", serverId: "srv_42")
            } throws: { error in
                (error as? ReferralError)?.code == .transportFailure
            }
            let transport = ReferralResponse.classify(status: 0, body: [])
            #expect(transport == .retryable(status: 0, retryAfter: nil) && transport.isRetryable && !transport.isFinal)
            let afterFaults = try await client.qualified(token: "mmr_x", serverEventId: "q", serverId: "srv_42")
            #expect(afterFaults.status == 422, "faults are used up; the request reaches the state machine")
        }
    }
}
