import AsyncHTTPClient
import Hummingbird
import NIOCore
import ReferralKit
import Testing

/// The client's `timeout` bounds the whole exchange, body included: async-http-client's deadline
/// stops at the response head, so a peer that sends headers and then stalls must not hang a send.
@Suite("ReferralClient timeout")
struct ReferralClientTimeoutTests {
    /// Runs `body` against a loopback server whose `POST /stall` answers 200 headers and one byte,
    /// then sends nothing more for 30 s.
    private static func withStallingServer(_ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/stall") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "{"))
                    try await Task.sleep(for: .seconds(30))
                    try await writer.write(ByteBuffer(string: #""ok":true}"#))
                    try await writer.finish(nil)
                }
            )
        }
        try await LoopbackServer.with(router, body)
    }

    @Test(arguments: [false, true])
    func aStalledBodyIsATransportFailureWithinTheTimeout(_ injected: Bool) async throws {
        try await Self.withStallingServer { base in
            let client = try ReferralClient(
                serverId: "srv_42",
                secret: ReferralSecret("s"),
                endpoint: base + "/stall",
                httpClient: injected ? .shared : nil,
                timeout: .seconds(1)
            )
            let started = ContinuousClock.now
            let outcome: Result<SendResult, ReferralError>
            do throws(ReferralError) {
                outcome = .success(try await client.qualified(token: "t", serverEventId: "q"))
            } catch {
                outcome = .failure(error)
            }
            let elapsed = ContinuousClock.now - started
            try await client.shutdown()
            #expect(elapsed < .seconds(10), "the send must end near its 1 s timeout, not when the peer resumes")
            guard case .failure(let error) = outcome else {
                Issue.record("expected a transport failure, got \(outcome)")
                return
            }
            #expect(error.code == .transportFailure)
        }
    }
}
