import Testing

@testable import ReferralKit

/// Where an endpoint's requests go: host, port, TLS, request target and `Host` header.
@Suite struct ReferralEndpointAddressTests {
    @Test func theSchemesDefaultPortIsLeftOutOfTheHostHeader() throws {
        let address = try #require(ReferralEndpointAddress("https://mmolove.gg/api/referral/events"))
        #expect(address.host == "mmolove.gg")
        #expect(address.port == 443)
        #expect(address.usesTLS)
        #expect(address.hostHeader == "mmolove.gg")
        #expect(address.requestTarget == "/api/referral/events")
        #expect(address.serverHostname == "mmolove.gg")
    }

    @Test func anExplicitPortAndTheQueryAreKept() throws {
        let address = try #require(ReferralEndpointAddress("http://127.0.0.1:8089/events?key=a%20b"))
        #expect(address.port == 8089)
        #expect(!address.usesTLS)
        #expect(address.hostHeader == "127.0.0.1:8089")
        #expect(address.requestTarget == "/events?key=a%20b")
        // An IP address cannot be sent as SNI.
        #expect(address.serverHostname == nil)
    }

    @Test func anIPv6HostIsConnectedToBareAndBracketedInTheHostHeader() throws {
        let address = try #require(ReferralEndpointAddress("http://[::1]:9000"))
        #expect(address.host == "::1")
        #expect(address.hostHeader == "[::1]:9000")
        #expect(address.requestTarget == "/")
        #expect(address.serverHostname == nil)
    }

    @Test(arguments: ["ftp://host/x", "http://", "not a url", "https:///path", "http://host:0/"])
    func whatIsNotAnHTTPURLWithAHostIsRefused(_ endpoint: String) {
        #expect(ReferralEndpointAddress(endpoint) == nil)
    }
}
