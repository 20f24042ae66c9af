import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Relay
import ServiceLifecycle
import Testing

/// Runs an ``OpsServer`` on 127.0.0.1 with a kernel-picked port and talks to it over loopback.
struct OpsHarness {
    /// One answer from the ops server.
    struct Answer {
        var status: Int
        var contentType: String?
        var body: String

        /// The body parsed as a JSON object.
        func json() throws -> [String: Any] {
            try #require(JSONSerialization.jsonObject(with: Data(self.body.utf8)) as? [String: Any])
        }
    }

    let health = RelayHealth()
    let telemetry = RelayTelemetry()

    /// A server over this harness's health and telemetry, reporting its port to `ports`.
    func makeServer(ports: AsyncStream<Int>.Continuation) -> OpsServer {
        OpsServer(
            host: "127.0.0.1",
            port: 0,
            health: self.health,
            telemetry: self.telemetry,
            logger: Logger(label: "ops-test", factory: { _ in SwiftLogNoOpLogHandler() }),
            onListening: { port in
                ports.yield(port)
                ports.finish()
            }
        )
    }

    /// Serves while `body` runs with the base URL, then cancels the server and waits for it.
    func with(_ body: (String) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = self.makeServer(ports: continuation)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body("http://127.0.0.1:\(port)")
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    /// `GET url` over a fresh client (no pooled connection hides a closed listener).
    static func get(_ url: String) async throws -> Answer {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return Answer(
                status: Int(response.status.code),
                contentType: response.headers.first(name: "content-type"),
                body: String(buffer: body)
            )
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
