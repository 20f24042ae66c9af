import AsyncHTTPClient
import Foundation
import ReferralKit
import ReferralSandbox
import Testing

/// The sandbox over loopback rejects what the real endpoint rejects, and its ops routes work.
@Suite("SandboxServer over loopback")
struct SandboxServerTests {
    /// The vectors' `registered-basic` body, signed for `srv_42` at the vector's `t`.
    private static let vectorT: Int64 = 1_795_558_000
    private static let body =
        #"{"event":"registered","token":"mmr_abc.def","server_id":"srv_42","referee_identity":"player-7842","server_event_id":"reg-7842","ts":1795557990}"#
    private static let header =
        "t=1795558000,v1=sha256=efabb0a1078ba5df80ddd365d203136a6e209867603b59fde8940e158003535f"

    @Test func acceptsTheVectorBytesVerbatimIncludingNonCanonicalWhitespace() async throws {
        try await SandboxHarness.withSandbox(clock: .fixed(Self.vectorT)) { address, _ in
            let accepted = try await SandboxHarness.post(address, body: Array(Self.body.utf8), signature: Self.header)
            #expect(accepted.status == 200)
            #expect(accepted.body == #"{"ok":true,"referral_id":"ref_1","state":"registered"}"#)
            let spaced =
                #"{ "event": "registered", "token": "mmr_abc.def", "server_id": "srv_42", "referee_identity": "player-7842", "server_event_id": "reg-7842", "ts": 1795557990 }"#
            let spacedHeader = "t=1795558000,v1=sha256=213cd513f40bdea50da6dceae15ea9cd02a2e4a080e3416329855e405fa966bb"
            let duplicate = try await SandboxHarness.post(address, body: Array(spaced.utf8), signature: spacedHeader)
            #expect(duplicate.body == #"{"ok":true,"duplicate":true}"#, "raw bytes verified, then same idempotency key")
        }
    }

    @Test func rejectsReserialisedBodyAndTrailingNewline() async throws {
        try await SandboxHarness.withSandbox(clock: .fixed(Self.vectorT)) { address, _ in
            let spaced = Self.body.replacingOccurrences(of: ",", with: ", ")
            let reserialised = try await SandboxHarness.post(address, body: Array(spaced.utf8), signature: Self.header)
            #expect(reserialised.status == 401)
            #expect(reserialised.body == #"{"error":"bad_signature"}"#)
            let newline = try await SandboxHarness.post(
                address, body: Array((Self.body + "\n").utf8), signature: Self.header)
            #expect(newline.status == 401)
            #expect(newline.body == #"{"error":"bad_signature"}"#)
        }
    }

    @Test(arguments: [(-301, 401), (301, 401), (-300, 200), (300, 200)] as [(Int64, Int)])
    func enforcesTheReplayWindowBothWays(_ offset: Int64, _ status: Int) async throws {
        try await SandboxHarness.withSandbox(clock: .fixed(Self.vectorT + offset)) { address, _ in
            let result = try await SandboxHarness.post(address, body: Array(Self.body.utf8), signature: Self.header)
            #expect(result.status == status)
            if status == 401 { #expect(result.body == #"{"error":"stale_timestamp"}"#) }
        }
    }

    @Test func rejectsV1WithoutItsPrefixAndAMissingHeader() async throws {
        try await SandboxHarness.withSandbox(clock: .fixed(Self.vectorT)) { address, _ in
            let unprefixed = Self.header.replacingOccurrences(of: "v1=sha256=", with: "v1=")
            let result = try await SandboxHarness.post(address, body: Array(Self.body.utf8), signature: unprefixed)
            #expect(result.status == 400)
            #expect(result.body == #"{"error":"missing or malformed X-MMOLove-Signature header"}"#)
            let missing = try await SandboxHarness.post(address, body: Array(Self.body.utf8), signature: nil)
            #expect(missing.status == 400)
            // The contract's MAC is lowercase hex; a string-comparing verifier rejects uppercase.
            let uppercase =
                "t=1795558000,v1=sha256=" + Self.header.dropFirst("t=1795558000,v1=sha256=".count).uppercased()
            let shouted = try await SandboxHarness.post(address, body: Array(Self.body.utf8), signature: uppercase)
            #expect(shouted.status == 400)
            #expect(shouted.body == #"{"error":"missing or malformed X-MMOLove-Signature header"}"#)
        }
    }

    @Test func keyIDsSelectTheSecretAndAWrongOneIsRejected() async throws {
        try await SandboxHarness.withSandbox { address, _ in
            let event = try ReferralEvent(
                kind: .registered, token: "mmr_r", serverID: "srv_rot", refereeIdentity: "p", serverEventID: "r")
            let body = event.encoded().body
            let now = ReferralClock.system.now()
            let signedNew = ReferralSignature.sign(body: body, secret: SandboxHarness.rotatedNew, timestamp: now)
            let wrongKid = ReferralSignature(timestamp: now, mac: signedNew.mac, keyID: "k1")
            let wrong = try await SandboxHarness.post(address, body: body, signature: wrongKid.headerValue)
            #expect(wrong.status == 401)
            #expect(wrong.body == #"{"error":"bad_signature"}"#)
            let unknownKid = ReferralSignature(timestamp: now, mac: signedNew.mac, keyID: "k9")
            #expect(try await SandboxHarness.post(address, body: body, signature: unknownKid.headerValue).status == 401)
            #expect(try await SandboxHarness.post(address, body: body, signature: signedNew.headerValue).status == 200)
            let old = ReferralSignature.sign(body: body, secret: SandboxHarness.rotatedOld, timestamp: now)
            #expect(try await SandboxHarness.post(address, body: body, signature: old.headerValue).status == 200)
        }
    }

    @Test func exposesTheDeliveryLogStatsAndReset() async throws {
        try await SandboxHarness.withSandbox(clock: .fixed(Self.vectorT)) { address, _ in
            _ = try await SandboxHarness.post(address, body: Array(Self.body.utf8), signature: Self.header)
            _ = try await SandboxHarness.post(address, body: Array((Self.body + "\n").utf8), signature: Self.header)
            let log = try await SandboxHarness.ops(address, .get, "/_sandbox/log")
            let entries = try JSONDecoder().decode([SandboxLogEntry].self, from: Data(log.body.utf8))
            #expect(entries.count == 2)
            #expect(entries.first?.body == Self.body)
            #expect(entries.last?.body == Self.body + "\n")
            #expect(entries.map(\.status) == [200, 401])
            #expect(entries.map(\.verdict) == [.advanced, .badSignature])
            #expect(entries.first?.headers.contains(["X-MMOLove-Signature", Self.header]) == true)
            let stats = try JSONDecoder().decode(
                SandboxStats.self, from: Data(try await SandboxHarness.ops(address, .get, "/_sandbox/stats").body.utf8))
            #expect(stats.requests == 2)
            #expect(stats.byStatus == ["200": 1, "401": 1])
            #expect(stats.acceptedByEvent == ["registered": 1])
            #expect(try await SandboxHarness.ops(address, .post, "/_sandbox/reset").status == 200)
            #expect(try await SandboxHarness.ops(address, .get, "/_sandbox/log").body == "[]")
            let again = try await SandboxHarness.post(address, body: Array(Self.body.utf8), signature: Self.header)
            #expect(again.body == #"{"ok":true,"referral_id":"ref_1","state":"registered"}"#, "reset forgot the key")
        }
    }

    @Test func faultsAreSetOverHTTPAndValidated() async throws {
        try await SandboxHarness.withSandbox(clock: .fixed(Self.vectorT)) { address, _ in
            let invalid = try await SandboxHarness.ops(address, .put, "/_sandbox/faults", body: #"{"fail_rate":2}"#)
            #expect(invalid.status == 400)
            #expect(invalid.body == #"{"error":"fail_rate must be within 0...1"}"#)
            let set = try await SandboxHarness.ops(
                address, .put, "/_sandbox/faults", body: #"{"fail_rate":1,"fail_status":502,"latency_ms":300}"#)
            #expect(set.status == 200)
            let started = ContinuousClock.now
            let failed = try await SandboxHarness.post(address, body: Array(Self.body.utf8), signature: Self.header)
            #expect(failed.status == 502)
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            _ = try await SandboxHarness.ops(address, .put, "/_sandbox/faults", body: "{}")
            #expect(
                try await SandboxHarness.post(address, body: Array(Self.body.utf8), signature: Self.header).status
                    == 200)
        }
    }

    @Test func refusesABodyOverTheUploadLimitWithoutTouchingTheState() async throws {
        try await SandboxHarness.withSandbox(clock: .fixed(Self.vectorT)) { address, server in
            let huge = [UInt8](repeating: UInt8(ascii: " "), count: 2 * 1024 * 1024 + 1)
            let result = try await SandboxHarness.post(address, body: huge, signature: Self.header)
            #expect(result.status == 413)
            #expect(server.store.stats.requests == 0)
            #expect(
                try await SandboxHarness.post(address, body: Array(Self.body.utf8), signature: Self.header).status
                    == 200)
        }
    }

    @Test func aDroppedConnectionIsATransportFailureForTheClient() async throws {
        try await SandboxHarness.withSandbox(SandboxHarness.configuration(faults: SandboxFaults(dropRate: 1))) {
            address, server in
            let client = try ReferralClient(
                serverId: "srv_42", secret: SandboxHarness.secret, endpoint: address.eventsURL, httpClient: .shared)
            await #expect {
                try await client.qualified(token: "t", serverEventId: "q")
            } throws: { error in
                (error as? ReferralError)?.code == .transportFailure
            }
            #expect(server.store.log.last?.verdict == .faultDrop)
            #expect(server.store.stats.byStatus["0"] == 1)
        }
    }
}
