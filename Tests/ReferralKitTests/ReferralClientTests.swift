import ReferralKit
import Testing

@Suite("ReferralClient (offline)")
struct ReferralClientTests {
    @Test func defaultsToTheSDKsEndpointAndAcceptsAnother() async throws {
        #expect(ReferralClient.defaultEndpoint == "https://mmolove.gg/api/referral/events")
        let client = try ReferralClient(serverId: "srv", secret: ReferralSecret("s"))
        #expect(client.endpoint == ReferralClient.defaultEndpoint)
        try await client.shutdown()
        let local = try ReferralClient(serverId: "srv", secret: ReferralSecret("s"), endpoint: "http://127.0.0.1:1/x")
        #expect(local.endpoint == "http://127.0.0.1:1/x")
        try await local.shutdown()
    }

    @Test(arguments: ["", "mmolove.gg/api", "ftp://mmolove.gg/x", "http://"])
    func rejectsUnusableEndpoints(_ endpoint: String) {
        #expect(throws: ReferralError.self) {
            try ReferralClient(serverId: "srv", secret: ReferralSecret("s"), endpoint: endpoint)
        }
    }

    @Test(arguments: SigningVectors.all)
    func signsWithTheInjectedClock(_ vector: SigningVector) async throws {
        let client = try ReferralClient(
            serverId: "srv_42",
            secret: ReferralSecret(vector.secret, keyID: vector.kid),
            clock: .fixed(vector.t)
        )
        let header = try client.sign(Array(vector.body.utf8))
        try await client.shutdown()
        #expect(header == vector.header)
        #expect(
            ReferralClient.signReferralBody(
                Array(vector.body.utf8), secret: ReferralSecret(vector.secret, keyID: vector.kid), timestamp: vector.t)
                == vector.header)
    }

    @Test func withSeveralServersANamelessCallIsRefused() async throws {
        let client = try ReferralClient(
            credentials: ReferralCredentials(["a": ReferralSecret("1"), "b": ReferralSecret("2")]))
        #expect(client.defaultServerID == nil)
        await #expect(throws: ReferralError.self) {
            try await client.qualified(token: "t", serverEventId: "q")
        }
        try await client.shutdown()
    }

    @Test func invalidEventThrowsBeforeAnyRequest() async throws {
        let client = try ReferralClient(serverId: "srv", secret: ReferralSecret("s"), endpoint: "http://127.0.0.1:1/")
        await #expect {
            try await client.registered(token: "t", refereeIdentity: "  ", serverEventId: "r")
        } throws: { error in
            (error as? ReferralError)?.code == .invalidEvent
        }
        try await client.shutdown()
    }

    @Test func refusedConnectionThrowsATransportFailure() async throws {
        // Port 1 on loopback has no listener here: connect is refused without touching a network.
        let client = try ReferralClient(
            serverId: "srv",
            secret: ReferralSecret("s"),
            endpoint: "http://127.0.0.1:1/api/referral/events",
            timeout: .seconds(1)
        )
        await #expect {
            try await client.qualified(token: "t", serverEventId: "q")
        } throws: { error in
            (error as? ReferralError)?.code == .transportFailure
        }
        try await client.shutdown()
    }
}
