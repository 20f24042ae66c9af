import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import TestSupport
import Testing

@testable import ReferralKit

/// The connection pool over real loopback sockets, against a server that can misbehave.
@Suite struct ReferralConnectionPoolTests {
    static let headers: HTTPHeaders = ["Content-Type": "application/json", "X-MMOLove-Signature": "t=1,v1=sha256=ab"]
    static let body = ByteBuffer(string: #"{"event":"registered"}"#)

    static func post(
        _ pool: ReferralConnectionPool, headers: HTTPHeaders = Self.headers, within timeout: TimeAmount = .seconds(5)
    ) async throws -> HTTP1Response {
        try await pool.post(headers: headers, body: Self.body, deadline: .now() + timeout)
    }

    /// The ``HTTP1TransportError`` `body` throws, if it throws one.
    static func transportError(_ body: () async throws -> some Any) async -> HTTP1TransportError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error as? HTTP1TransportError
        }
    }

    @Test func postsTheBodyWithHostAndContentLengthAndReusesTheConnection() async throws {
        let server = try await TestHTTPServer.start { _, _ in TestHTTPServer.ok }
        let pool = try ReferralConnectionPool(endpoint: server.url("/api/referral/events?key=k"))
        for _ in 0..<3 {
            let response = try await Self.post(pool)
            #expect(response.status == 200)
            #expect(String(buffer: response.body) == #"{"ok":true}"#)
        }
        let request = try #require(server.requests.first)
        #expect(request.head.method == .POST)
        #expect(request.head.uri == "/api/referral/events?key=k")
        #expect(request.head.headers["Host"] == ["127.0.0.1:\(server.port)"])
        #expect(request.head.headers["Content-Length"] == ["\(Self.body.readableBytes)"])
        #expect(request.head.headers["X-MMOLove-Signature"] == ["t=1,v1=sha256=ab"])
        #expect(request.body == Array(Self.body.readableBytesView))
        #expect(server.requests.count == 3)
        #expect(server.connections == 1)
        await pool.shutdown()
        await server.stop()
    }

    @Test func concurrentRequestsEachGetAConnectionAndAllAreAnswered() async throws {
        let server = try await TestHTTPServer.start { _, _ in TestHTTPServer.ok }
        let pool = try ReferralConnectionPool(endpoint: server.url(), maxIdleConnections: 4)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 { group.addTask { try await Self.post(pool).status } }
            for try await status in group { #expect(status == 200) }
        }
        #expect(server.requests.count == 64)
        // At most 4 stay open: the next requests reuse them.
        let opened = server.connections
        for _ in 0..<8 { _ = try await Self.post(pool) }
        #expect(server.connections == opened)
        await pool.shutdown()
        await server.stop()
    }

    @Test func connectionCloseIsHonoured() async throws {
        let server = try await TestHTTPServer.start { _, _ in
            .raw("HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", close: true)
        }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        #expect(try await Self.post(pool).status == 202)
        #expect(try await Self.post(pool).status == 202)
        #expect(server.connections == 2)
        await pool.shutdown()
        await server.stop()
    }

    @Test func aReusedConnectionTheServerClosedIsRetriedOnceOnANewOne() async throws {
        // Each connection answers its first request and closes on the second without a word:
        // what a server's idle timeout looks like when it races a request.
        let server = try await TestHTTPServer.start { _, index in index == 0 ? TestHTTPServer.ok : .closeWithoutAnswer }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        #expect(try await Self.post(pool).status == 200)
        #expect(try await Self.post(pool).status == 200)
        #expect(server.connections == 2)
        #expect(server.requests.map(\.connection) == [0, 0, 1])
        await pool.shutdown()
        await server.stop()
    }

    @Test func theRetryOfAStaleConnectionGoesToANewOneNotAnotherIdleOne() async throws {
        // Two connections, each answering its first request late (so both are opened) and
        // closing on the next without a word.
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"
        let server = try await TestHTTPServer.start { _, index in
            index == 0 ? .delayed(.milliseconds(200), answer) : .closeWithoutAnswer
        }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        async let first = Self.post(pool)
        async let second = Self.post(pool)
        #expect(try await [first.status, second.status] == [200, 200])
        // Both were answered on connections of their own (else the test proves nothing).
        #expect(Set(server.requests.map(\.connection)) == [0, 1])
        // Both idle connections are now stale: the retry must not take the other one.
        #expect(try await Self.post(pool).status == 200)
        #expect(server.connections == 3)
        await pool.shutdown()
        await server.stop()
    }

    @Test func aServerClosingEveryConnectionAtOnceNeverLeavesARequestHanging() async throws {
        // The connection closes between its connect and the request's write: the write never
        // reaches the exchange handler, and the request must fail anyway, not wait forever.
        let server = try await TestHTTPServer.start(closeOnAccept: true) { _, _ in TestHTTPServer.ok }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        let failed = Mutex(0)
        // Not a child task: a hung request must fail this test, not hang it.
        let requests = Task {
            for _ in 0..<300 {
                // An hour: only the pool's own handling may end a request here.
                if await Self.transportError({ try await Self.post(pool, within: .hours(1)) }) != nil {
                    failed.withLock { $0 += 1 }
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while failed.withLock({ $0 }) < 300, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(failed.withLock { $0 } == 300, "a request hung")
        if failed.withLock({ $0 }) == 300 { await requests.value }
        await pool.shutdown()
        await server.stop()
    }

    @Test func aConnectionIdleTooLongIsClosedNotReused() async throws {
        let server = try await TestHTTPServer.start { _, _ in TestHTTPServer.ok }
        // A second: two requests in a row stay well inside it even on a loaded machine.
        let pool = try ReferralConnectionPool(endpoint: server.url(), idleTimeout: .seconds(1))
        _ = try await Self.post(pool)
        _ = try await Self.post(pool)
        #expect(server.connections == 1)
        try await Task.sleep(for: .milliseconds(1500))
        _ = try await Self.post(pool)
        #expect(server.connections == 2)
        await pool.shutdown()
        await server.stop()
    }

    @Test func thePoolFramesTheRequestWhateverHeadersTheCallerSet() async throws {
        let server = try await TestHTTPServer.start { _, _ in TestHTTPServer.ok }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        var headers = Self.headers
        headers.add(name: "Host", value: "elsewhere.example")
        headers.add(name: "Content-Length", value: "1")
        headers.add(name: "content-length", value: "2")
        // A second framing would let a server read the body as the start of another request.
        headers.add(name: "Transfer-Encoding", value: "chunked")
        _ = try await Self.post(pool, headers: headers)
        let request = try #require(server.requests.first)
        #expect(request.head.method == .POST)
        #expect(request.head.headers["Host"] == ["127.0.0.1:\(server.port)"])
        #expect(request.head.headers["Content-Length"] == ["\(Self.body.readableBytes)"])
        #expect(request.head.headers["Transfer-Encoding"] == [])
        #expect(request.body == Array(Self.body.readableBytesView))
        // The caller's other headers go out as given.
        for (name, value) in Self.headers {
            #expect(request.head.headers[name] == [value])
        }
        await pool.shutdown()
        await server.stop()
    }

    @Test func aNewConnectionClosedBeforeItsAnswerFailsWithoutARetry() async throws {
        let server = try await TestHTTPServer.start { _, _ in .closeWithoutAnswer }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        let error = await Self.transportError { try await Self.post(pool) }
        #expect(error?.kind == .connectionLost)
        #expect(server.requests.count == 1)
        await pool.shutdown()
        await server.stop()
    }

    @Test func aConnectionClosedMidBodyFails() async throws {
        let server = try await TestHTTPServer.start { _, _ in
            .raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\"", close: true)
        }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        let error = await Self.transportError { try await Self.post(pool) }
        #expect(error?.kind == .connectionLost)
        #expect(error?.beforeResponse == false)
        await pool.shutdown()
        await server.stop()
    }

    @Test func aResponseWithoutLengthIsReadUntilTheServerCloses() async throws {
        let server = try await TestHTTPServer.start { _, _ in
            .raw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"ok\":true}", close: true)
        }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        let response = try await Self.post(pool)
        #expect(String(buffer: response.body) == #"{"ok":true}"#)
        #expect(!response.keepAlive)
        #expect(try await Self.post(pool).status == 200)
        #expect(server.connections == 2)
        await pool.shutdown()
        await server.stop()
    }

    @Test func aStalledServerFailsAtTheDeadline() async throws {
        let server = try await TestHTTPServer.start { _, _ in .stall }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        let started = ContinuousClock.now
        let error = await Self.transportError { try await Self.post(pool, within: .milliseconds(300)) }
        #expect(error?.kind == .timeout)
        #expect(ContinuousClock.now - started < .seconds(3))
        await pool.shutdown()
        await server.stop()
    }

    /// The connection's timer is set once and set again when it fires early: a request on a
    /// reused connection, whose timer was set for the earlier request's deadline, still fails at
    /// its own deadline, neither at the earlier one nor never.
    @Test(.timeLimit(.minutes(1))) func aStalledRequestOnAReusedConnectionFailsAtItsOwnDeadline() async throws {
        let server = try await TestHTTPServer.start { _, index in index == 0 ? TestHTTPServer.ok : .stall }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        #expect(try await Self.post(pool, within: .milliseconds(200)).status == 200)
        let started = ContinuousClock.now
        let error = await Self.transportError { try await Self.post(pool, within: .milliseconds(700)) }
        let waited = ContinuousClock.now - started
        #expect(error?.kind == .timeout)
        #expect(server.connections == 1, "the second request went on the first one's connection")
        #expect(waited >= .milliseconds(600), "failed at \(waited), before its own deadline")
        #expect(waited < .seconds(5))
        await pool.shutdown()
        await server.stop()
    }

    @Test func aBodyOverTheLimitFails() async throws {
        let big = String(repeating: "x", count: 2048)
        let server = try await TestHTTPServer.start { _, _ in
            .raw("HTTP/1.1 200 OK\r\nContent-Length: \(big.utf8.count)\r\n\r\n\(big)")
        }
        let pool = try ReferralConnectionPool(endpoint: server.url(), maxBodyBytes: 1024)
        let error = await Self.transportError { try await Self.post(pool) }
        #expect(error?.kind == .bodyTooLarge)
        await pool.shutdown()
        await server.stop()
    }

    @Test func aRedirectIsTheAnswerNotFollowed() async throws {
        let server = try await TestHTTPServer.start { _, _ in
            .raw("HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n")
        }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        #expect(try await Self.post(pool).status == 301)
        #expect(server.requests.count == 1)
        await pool.shutdown()
        await server.stop()
    }

    @Test(arguments: [
        ("tracestate", "a\r\nX-Injected: 1"), ("tracestate", "a\nb"), ("tracestate", "a\u{0}b"),
        ("tracestate", "a\u{1}b"), ("tracestate", "a\u{7F}b"), ("Bad Name", "v"), ("", "v"), ("x:y", "v"),
    ])
    func aHeaderThatWouldSplitTheRequestIsRefused(_ name: String, _ value: String) async throws {
        let server = try await TestHTTPServer.start { _, _ in TestHTTPServer.ok }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        var headers = Self.headers
        headers.add(name: name, value: value)
        let error = await Self.transportError { try await Self.post(pool, headers: headers) }
        #expect(error?.kind == .invalidHeader)
        #expect(server.requests.isEmpty)
        await pool.shutdown()
        await server.stop()
    }

    @Test func aRefusedConnectIsAConnectFailure() async throws {
        // A port bound and not listening: refused, and no other test's server can take it.
        let port = try ClosedPort.held()
        let pool = try ReferralConnectionPool(endpoint: "http://127.0.0.1:\(port.number)/events")
        let error = await Self.transportError { try await Self.post(pool) }
        #expect(error?.kind == .connect)
        await pool.shutdown()
        port.close()
    }

    @Test func afterShutdownRequestsFail() async throws {
        let server = try await TestHTTPServer.start { _, _ in TestHTTPServer.ok }
        let pool = try ReferralConnectionPool(endpoint: server.url())
        _ = try await Self.post(pool)
        await pool.shutdown()
        let error = await Self.transportError { try await Self.post(pool) }
        #expect(error?.kind == .shutDown)
        await server.stop()
    }

    @Test func httpsIsVerifiedAgainstTheTrustRootsByHostName() async throws {
        // The certificate names localhost only, not the address connected to: it verifies only
        // if the client checks the name it was given (and sends it as SNI).
        let server = try await TestHTTPServer.start(tls: .localhostOnly) { _, _ in TestHTTPServer.ok }
        let pool = try ReferralConnectionPool(
            endpoint: server.url(scheme: "https", host: "localhost"),
            tlsConfiguration: try TestCertificate.localhostOnly.trustingClient)
        #expect(try await Self.post(pool).status == 200)
        #expect(try await Self.post(pool).status == 200)
        #expect(server.connections == 1)
        await pool.shutdown()

        // The system's roots do not know the test certificate: no request reaches the server.
        let untrusting = try ReferralConnectionPool(endpoint: server.url(scheme: "https", host: "localhost"))
        let error = await Self.transportError { try await Self.post(untrusting) }
        #expect(error?.description.contains("CERTIFICATE_VERIFY_FAILED") == true)
        #expect(server.requests.count == 2)
        await untrusting.shutdown()
        await server.stop()
    }

    @Test func anIPAddressIsVerifiedAgainstTheCertificatesAddresses() async throws {
        let trusting = try TestCertificate.localhostAndLoopback.trustingClient
        // The certificate names localhost and 127.0.0.1 ...
        let named = try await TestHTTPServer.start(tls: .localhostAndLoopback) { _, _ in TestHTTPServer.ok }
        let namedPool = try ReferralConnectionPool(endpoint: named.url(scheme: "https"), tlsConfiguration: trusting)
        #expect(try await Self.post(namedPool).status == 200)
        await namedPool.shutdown()
        await named.stop()

        // ... and a certificate naming localhost only does not verify for 127.0.0.1.
        let other = try await TestHTTPServer.start(tls: .localhostOnly) { _, _ in TestHTTPServer.ok }
        let otherPool = try ReferralConnectionPool(
            endpoint: other.url(scheme: "https"), tlsConfiguration: try TestCertificate.localhostOnly.trustingClient)
        let error = await Self.transportError { try await Self.post(otherPool) }
        #expect(error?.description.contains("failedToValidateHostname") == true)
        #expect(other.requests.isEmpty)
        await otherPool.shutdown()
        await other.stop()
    }
}
