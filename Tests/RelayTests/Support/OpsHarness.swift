import AsyncHTTPClient
import Foundation
import Glibc
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

    /// Whether anything accepts a TCP connection on 127.0.0.1:`port` (a plain `connect(2)`: a
    /// closed port is refused at once, where an HTTP client would retry until its deadline).
    static func acceptsConnections(port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
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
