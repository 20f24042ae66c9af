import AsyncHTTPClient
import Foundation
import Hummingbird
import ReferralKit
import ReferralSandbox

/// Shared fixtures: a sandbox with a few servers, started in-process on 127.0.0.1 port 0.
enum SandboxHarness {
    static let secret = ReferralSecret("whsec_test_3f9a1c")
    static let rotatedOld = ReferralSecret("old-secret", keyID: "k1")
    static let rotatedNew = ReferralSecret("rotated-secret-2", keyID: "k2")

    /// `srv_42` (one secret), `srv_rot` (two keyed secrets), `srv_off` (referrals off),
    /// `srv_nokey` (no secret); `mmr_gone` unknown, `mmr_old` expired.
    static func configuration(faults: SandboxFaults = .none) -> SandboxConfiguration {
        SandboxConfiguration(
            port: 0,
            servers: [
                .init(id: "srv_42", secrets: [secret]),
                .init(id: "srv_rot", secrets: [rotatedOld, rotatedNew]),
                .init(id: "srv_off", secrets: [secret], referralsEnabled: false),
                .init(id: "srv_nokey", secrets: []),
            ],
            unknownTokens: ["mmr_gone"],
            expiredTokens: ["mmr_old"],
            faults: faults,
            seed: 42
        )
    }

    /// Runs `body` against a freshly started sandbox and stops it afterwards, also on failure.
    ///
    /// - Parameters:
    ///   - configuration: The sandbox configuration (port 0).
    ///   - clock: The sandbox clock.
    ///   - body: Receives the bound address and the server.
    static func withSandbox<Result: Sendable>(
        _ configuration: SandboxConfiguration = configuration(),
        clock: ReferralClock = .system,
        _ body: (SandboxAddress, SandboxServer) async throws -> Result
    ) async throws -> Result {
        // Stopped gracefully after the body: cancelling a server that still has clients traps in NIO.
        try await SandboxServer.withRunning(configuration: configuration, clock: clock) { server, address in
            try await body(address, server)
        }
    }

    /// POSTs raw bytes with a raw signature header, bypassing the SDK, to send what it never would.
    static func post(
        _ address: SandboxAddress,
        body: [UInt8],
        signature: String?,
        using client: HTTPClient = .shared
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: address.eventsURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let signature { request.headers.add(name: ReferralSignature.headerName, value: signature) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: buffer))
    }

    /// Calls an operations route and returns its body.
    enum OpsMethod { case get, put, post }

    static func ops(_ address: SandboxAddress, _ method: OpsMethod, _ path: String, body: String? = nil) async throws
        -> (
            status: Int, body: String
        )
    {
        var request = HTTPClientRequest(url: address.baseURL + path)
        switch method {
        case .get: request.method = .GET
        case .put: request.method = .PUT
        case .post: request.method = .POST
        }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 8 << 20)
        return (Int(response.status.code), String(buffer: buffer))
    }
}
