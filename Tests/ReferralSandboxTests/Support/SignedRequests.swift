import ReferralKit
import ReferralSandbox

/// Builds signed requests for the pure state-machine tests.
enum SignedRequests {
    /// A request carrying `body`, signed with `secret` at `t` unless a header is given.
    static func request(body: String, secret: ReferralSecret = SandboxHarness.secret, t: Int64, header: String? = nil)
        -> SandboxRequest
    {
        let bytes = Array(body.utf8)
        let value = header ?? ReferralSignature.sign(body: bytes, secret: secret, timestamp: t).headerValue
        return SandboxRequest(
            method: "POST",
            path: "/api/referral/events",
            headers: [
                .init(name: "Content-Type", value: "application/json"),
                .init(name: "X-MMOLove-Signature", value: value),
            ],
            body: bytes
        )
    }

    /// A request for a validated event on `srv_42`.
    static func event(
        _ kind: ReferralEvent.Kind,
        token: String,
        referee: String? = nil,
        id: String,
        server: String = "srv_42",
        test: Bool = false,
        t: Int64 = 1_000
    ) throws -> SandboxRequest {
        let event = try ReferralEvent(
            kind: kind, token: token, serverID: server, refereeIdentity: referee, serverEventID: id, test: test)
        return self.request(body: event.encoded().bodyString, t: t)
    }
}
