import AsyncHTTPClient
import Hummingbird
import ReferralKit
import ReferralSandbox
import Testing

/// A signed POST must never be reported as delivered on the strength of a redirect that turned it
/// into a body-less GET: a misconfigured endpoint (http→https, a moved path, a website) redirects.
@Suite("ReferralClient and redirects")
struct ReferralClientRedirectTests {
    /// Runs `body` against a loopback server where `POST /moved` answers 301 and `POST /temporary`
    /// 307, both to `/landing`, whose `GET` answers `{"ok":true}` and whose `POST` answers a test
    /// acceptance.
    private static func withRedirectingServer(_ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/moved") { _, _ in Response(status: .movedPermanently, headers: [.location: "/landing"]) }
        router.post("/temporary") { _, _ in Response(status: .temporaryRedirect, headers: [.location: "/landing"]) }
        router.get("/landing") { _, _ in #"{"ok":true}"# }
        router.post("/landing") { _, _ in #"{"ok":true,"test":true}"# }
        try await LoopbackServer.with(router, body)
    }

    private static func send(to endpoint: String, using httpClient: HTTPClient?) async throws -> SendResult {
        let client = try ReferralClient(
            serverId: "srv_42", secret: SandboxHarness.secret, endpoint: endpoint, httpClient: httpClient)
        let result: Result<SendResult, ReferralError>
        do {
            result = .success(try await client.qualified(token: "t", serverEventId: "q", test: true))
        } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        return try result.get()
    }

    @Test func anOwnedClientDoesNotFollowARedirect() async throws {
        try await Self.withRedirectingServer { base in
            let result = try await Self.send(to: base + "/moved", using: nil)
            #expect(result.status == 301)
            #expect(result.response == .systemic(status: 301, error: nil))
            #expect(!result.response.isAccepted)
        }
    }

    @Test func anInjectedClientThatTurnedThePOSTIntoAGETReportsTheRedirect() async throws {
        try await Self.withRedirectingServer { base in
            // HTTPClient.shared follows redirects like a browser.
            let result = try await Self.send(to: base + "/moved", using: .shared)
            #expect(result.status == 301)
            #expect(result.response.isSystemic)
            #expect(!result.response.isAccepted, "the GET's {\"ok\":true} is not an answer to the event")
        }
    }

    @Test func aRedirectThatKeptMethodAndBodyIsAnsweredByTheTarget() async throws {
        try await Self.withRedirectingServer { base in
            let result = try await Self.send(to: base + "/temporary", using: .shared)
            #expect(result.status == 200)
            #expect(result.response == .test)
        }
    }
}
