import Foundation
import ReferralKit
import ReferralSandbox
import Synchronization
import Testing

/// `ReferralClient` over loopback: what arrives is exactly what was encoded and signed, and every
/// send of the same encoded event is re-signed with a fresh `t` over unchanged bytes.
@Suite("ReferralClient over loopback")
struct ReferralClientLoopbackTests {
    /// A clock that advances 10 s on every read, so each signature has its own `t`.
    final class SteppingClock: Sendable {
        private let seconds: Mutex<Int64>

        init(start: Int64) {
            self.seconds = Mutex(start)
        }

        func next() -> Int64 {
            self.seconds.withLock { value in
                value += 10
                return value
            }
        }
    }

    @Test func theSignedBytesAreTheSentBytesAndRetriesAreReSigned() async throws {
        try await SandboxHarness.withSandbox { address, server in
            let stepping = SteppingClock(start: ReferralClock.system.now() - 100)
            let client = try ReferralClient(
                serverId: "srv_42",
                secret: SandboxHarness.secret,
                endpoint: address.eventsURL,
                httpClient: .shared,
                clock: ReferralClock { stepping.next() }
            )
            let encoded = try ReferralEvent(
                kind: .registered, token: "mmr_é/1", serverID: "srv_42", refereeIdentity: "Jörg \"x\"",
                serverEventID: "reg-1", ts: 1_700_000_000
            ).encoded()
            let first = try await client.send(encoded)
            let retry = try await client.send(encoded)
            #expect(first.response == .advanced(referralID: "ref_1", state: .registered))
            #expect(retry.response == .duplicate)

            let entries = server.store.log
            #expect(entries.count == 2)
            var timestamps: [Int64] = []
            for entry in entries {
                #expect(Array(entry.body.utf8) == encoded.body, "the wire carries the encoder's bytes unchanged")
                let header = try #require(entry.headers.first { $0.first == ReferralSignature.headerName }?.last)
                let signature = try ReferralSignature(parsing: header)
                #expect(signature.isValidMAC(for: encoded.body, secret: SandboxHarness.secret))
                timestamps.append(signature.timestamp)
            }
            #expect(timestamps.count == 2 && timestamps[0] != timestamps[1], "every send signs with a fresh t")
        }
    }

    @Test func aKeyedSecretSendsItsKid() async throws {
        try await SandboxHarness.withSandbox { address, server in
            let client = try ReferralClient(
                serverId: "srv_rot", secret: SandboxHarness.rotatedNew, endpoint: address.eventsURL, httpClient: .shared
            )
            let result = try await client.qualified(token: "mmr_k", serverEventId: "q", test: true)
            #expect(result.response == .test)
            let header = server.store.log.first?.headers.first { $0.first == ReferralSignature.headerName }?.last
            #expect(header?.hasSuffix(",kid=k2") == true)
        }
    }
}
