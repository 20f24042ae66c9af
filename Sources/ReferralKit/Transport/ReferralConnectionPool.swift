import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Keep-alive HTTP/1.1 connections to one MMOLove endpoint, for ``ReferralClient``: each POST
/// takes an idle connection (or opens one), writes its request in one system call, reads the
/// whole response, and puts the connection back.
///
/// It does what a signed POST needs and no more: no redirects (a 3xx is the answer), no
/// proxies, no HTTP/2, no request streaming. `https` endpoints are verified against the
/// system's trust roots (or the given TLS configuration's), with the host name as SNI.
///
/// A request whose reused connection turns out closed before any byte of a response (the
/// server closed it while idle, a race every keep-alive client has) is sent again once on a new
/// connection. MMOLove deduplicates on `server_event_id`, so a request the server did receive is
/// not counted twice.
///
/// - Important: Call ``shutdown()`` when done; it closes the idle connections, and those in use
///   close when their request ends.
public final class ReferralConnectionPool: Sendable {
    /// The endpoint every request goes to.
    public let endpoint: String
    let address: ReferralEndpointAddress
    let group: any EventLoopGroup
    let sslContext: NIOSSLContext?
    let connectTimeout: Duration
    let maxIdleConnections: Int
    let maxBodyBytes: Int
    /// How long a connection may sit idle and still be reused.
    let maxIdleTime: TimeAmount
    private let idle: Mutex<IdleConnections>

    /// Creates a pool; no connection is opened until the first request.
    ///
    /// - Parameters:
    ///   - endpoint: The events URL, `http` or `https`.
    ///   - maxIdleConnections: How many idle connections are kept open (set it to the number of
    ///     requests kept in flight); more are opened when needed and closed after their request.
    ///   - connectTimeout: The longest a connect may take (the request's deadline may cut it shorter).
    ///   - tlsConfiguration: For `https`: the TLS settings; `nil` is NIOSSL's client default
    ///     (system trust roots, full verification).
    ///   - idleTimeout: How long a connection may sit idle and still be reused (async-http-client
    ///     closes its idle connections after 60 s; servers and load balancers often at 60 s too).
    ///   - maxBodyBytes: The largest response body accepted (1 MiB, as the client's before).
    ///   - eventLoopGroup: Where the connections live.
    /// - Throws: ``ReferralError`` `invalidEndpoint` when the endpoint is not an http(s) URL with
    ///   a host, or its TLS settings cannot be loaded.
    public init(
        endpoint: String,
        maxIdleConnections: Int = 64,
        connectTimeout: Duration = .seconds(10),
        tlsConfiguration: TLSConfiguration? = nil,
        idleTimeout: Duration = .seconds(50),
        maxBodyBytes: Int = 1 << 20,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(ReferralError) {
        let address = try ReferralEndpointAddress.parsing(endpoint)
        if address.usesTLS {
            var configuration = tlsConfiguration ?? TLSConfiguration.makeClientConfiguration()
            // This client speaks HTTP/1.1 only: a configuration offering h2 must not get it.
            configuration.applicationProtocols = ["http/1.1"]
            do {
                self.sslContext = try NIOSSLContext(configuration: configuration)
            } catch {
                // Most often a machine without a CA bundle (Debian: the ca-certificates package).
                throw ReferralError(
                    .invalidEndpoint,
                    reason: "the TLS settings for an https endpoint cannot be loaded (no system trust roots?): \(error)"
                )
            }
        } else {
            self.sslContext = nil
        }
        self.endpoint = endpoint
        self.address = address
        self.group = eventLoopGroup
        self.connectTimeout = connectTimeout
        self.maxIdleConnections = max(1, maxIdleConnections)
        self.maxBodyBytes = maxBodyBytes
        self.maxIdleTime = TimeAmount(idleTimeout)
        self.idle = Mutex(IdleConnections())
    }

    /// Closes the idle connections; requests still in flight finish, and later ones fail.
    public func shutdown() async {
        let channels = self.idle.withLock { $0.shutDown() }
        // All at once: a TLS close may wait seconds for the peer's close_notify.
        for channel in channels {
            channel.close(promise: nil)
        }
        for channel in channels {
            try? await channel.closeFuture.get()
        }
    }

    /// POSTs `body` with `headers` and reads the whole answer: no signature, no classification
    /// (``ReferralClient`` adds both). For tools, and for the benchmark's ceiling of this
    /// transport. The pool frames the request: its own `Host` and `Content-Length` replace the
    /// caller's, and a caller's `Transfer-Encoding` is not sent.
    ///
    /// - Parameters:
    ///   - headers: The request's own headers.
    ///   - body: The body bytes.
    ///   - deadline: When the exchange (connect, TLS, request, whole response) must have ended.
    /// - Returns: The response.
    /// - Throws: An error naming why no complete response arrived (never the endpoint, a header
    ///   or the body).
    public func post(headers: HTTPHeaders, body: ByteBuffer, deadline: NIODeadline) async throws -> HTTP1Response {
        let request = try body.withUnsafeReadableBytes { body in try self.render(headers: headers, body: body) }
        return try await self.send(request, deadline: deadline)
    }

    /// ``post(headers:body:deadline:)`` with the body as bytes (no `ByteBuffer` of its own).
    func post(headers: HTTPHeaders, body: [UInt8], deadline: NIODeadline) async throws -> HTTP1Response {
        let request = try body.withUnsafeBytes { body in try self.render(headers: headers, body: body) }
        return try await self.send(request, deadline: deadline)
    }

    /// The whole request in one buffer: request line, `headers` (the pool's own `Host` and
    /// `Content-Length` in place of any the caller gave, and no `Transfer-Encoding`: the pool
    /// frames the request), the blank line and the body. Made on the caller's thread, written
    /// as it is by the connection (``HTTP1RequestWriter``): NIO's request encoder, a request head
    /// with its header list and a pipeline write per part took about 4% of the relay's CPU.
    ///
    /// - Throws: ``HTTP1TransportError`` `invalidHeader` for a header that would not be one.
    private func render(headers: HTTPHeaders, body: UnsafeRawBufferPointer) throws -> ByteBuffer {
        guard Self.areValid(headers) else { throw HTTP1TransportError(.invalidHeader) }
        var size = body.count + self.address.requestTarget.utf8.count + self.address.hostHeader.utf8.count + 64
        for (name, value) in headers { size += name.utf8.count + value.utf8.count + 4 }
        var request = ByteBuffer()
        request.reserveCapacity(size)
        request.writeStaticString("POST ")
        request.writeString(self.address.requestTarget)
        request.writeStaticString(" HTTP/1.1\r\nHost: ")
        request.writeString(self.address.hostHeader)
        request.writeStaticString("\r\nContent-Length: ")
        request.writeString(String(body.count))
        request.writeStaticString("\r\n")
        for (name, value) in headers where !Self.isFraming(name) {
            request.writeString(name)
            request.writeStaticString(": ")
            request.writeString(value)
            request.writeStaticString("\r\n")
        }
        request.writeStaticString("\r\n")
        request.writeBytes(body)
        return request
    }

    /// Whether `name` is a header the pool writes itself (or never writes).
    private static func isFraming(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: return name.lowercased() == "host"
        case 14: return name.lowercased() == "content-length"
        case 17: return name.lowercased() == "transfer-encoding"
        default: return false
        }
    }

    /// Sends a rendered request, once more on a new connection when a reused one turns out
    /// closed before any response.
    private func send(_ request: ByteBuffer, deadline: NIODeadline) async throws -> HTTP1Response {
        var retried = false
        while true {
            let (connection, reused) = try await self.acquire(fresh: retried, deadline: deadline)
            do {
                let response = try await withUnsafeThrowingContinuation { reply in
                    connection.start(HTTP1Exchange(request: request, deadline: deadline, reply: reply))
                }
                self.release(connection, reusable: response.keepAlive)
                return response
            } catch let error as HTTP1TransportError
                where error.beforeResponse && reused && !retried && deadline > .now()
            {
                // The server closed this idle connection as the request went out: once more,
                // on a new connection (another idle one may be just as stale).
                connection.channel.close(promise: nil)
                retried = true
            } catch {
                // Whatever failed, the connection is not reused (the handler closes it on the
                // failures it sees; a refused request leaves that to here).
                connection.channel.close(promise: nil)
                throw error
            }
        }
    }

    /// An idle connection still open, or a new one (always, when `fresh`).
    private func acquire(fresh: Bool, deadline: NIODeadline) async throws -> (PooledConnection, reused: Bool) {
        if !fresh {
            while true {
                let now = NIODeadline.now()
                let (connection, expired) = try self.idle.withLock { idle throws(HTTP1TransportError) in
                    try idle.take(now: now, maxIdleTime: self.maxIdleTime)
                }
                for connection in expired {
                    connection.channel.close(promise: nil)
                }
                guard let connection else { break }
                if connection.channel.isActive { return (connection, true) }
            }
        } else if self.idle.withLock({ $0.isShutDown }) {
            throw HTTP1TransportError(.shutDown)
        }
        return (try await self.connect(deadline: deadline), false)
    }

    /// Puts `channel` back for the next request, or closes it.
    private func release(_ connection: PooledConnection, reusable: Bool) {
        let now = NIODeadline.now()
        let kept =
            reusable && connection.channel.isActive
            && self.idle.withLock { $0.put(connection, now: now, limit: self.maxIdleConnections) }
        if !kept {
            connection.channel.close(promise: nil)
        }
    }

    /// `false` when a header name is not an HTTP token, or a value holds a control character
    /// other than a tab (CR and LF would split the request; trace context comes from Kafka record
    /// headers, which anyone producing may set). NIO's outbound rule, checked here once instead
    /// of by NIO's validator, which would fail the connection rather than the request.
    static func areValid(_ headers: HTTPHeaders) -> Bool {
        headers.allSatisfy { name, value in
            !name.isEmpty && name.utf8.allSatisfy(HTTPFieldSyntax.isTokenByte)
                && value.utf8.allSatisfy(HTTPFieldSyntax.isValueByte)
        }
    }
}

/// The pool's idle connections, most recently used last (reused first, so the others may be
/// closed by the server's idle timeout instead of being kept warm for nothing).
struct IdleConnections {
    private var entries: [(connection: PooledConnection, since: NIODeadline)] = []
    private(set) var isShutDown = false

    /// The most recently used idle connection, if it has been idle less than `maxIdleTime`;
    /// otherwise none, and every idle connection to close (the most recent one expired, so the
    /// older ones did too). A connection idle longer may have been dropped by a NAT or a load
    /// balancer without a word, and a request on it would wait for its whole deadline.
    ///
    /// - Throws: ``HTTP1TransportError`` `shutDown` after ``shutDown()``.
    mutating func take(
        now: NIODeadline, maxIdleTime: TimeAmount
    ) throws(HTTP1TransportError) -> (connection: PooledConnection?, expired: [PooledConnection]) {
        guard !self.isShutDown else { throw HTTP1TransportError(.shutDown) }
        guard let last = self.entries.popLast() else { return (nil, []) }
        if now - last.since < maxIdleTime { return (last.connection, []) }
        let expired = self.entries.map(\.connection) + [last.connection]
        self.entries.removeAll()
        return (nil, expired)
    }

    /// Keeps `channel`, idle from `now`, unless `limit` are kept or the pool is shut down.
    ///
    /// - Returns: `true` when kept.
    mutating func put(_ connection: PooledConnection, now: NIODeadline, limit: Int) -> Bool {
        guard !self.isShutDown, self.entries.count < limit else { return false }
        self.entries.append((connection, now))
        return true
    }

    /// Refuses every later request and hands over the idle connections to close.
    mutating func shutDown() -> [any Channel] {
        self.isShutDown = true
        defer { self.entries = [] }
        return self.entries.map(\.connection.channel)
    }
}

/// One pooled connection: its channel, and its exchange handler, reached on the channel's loop.
struct PooledConnection: Sendable {
    /// The connection.
    let channel: any Channel
    /// The last handler of its pipeline.
    let handler: NIOLoopBound<HTTP1ExchangeHandler>

    /// Hands `exchange` to the handler on the channel's loop, which answers it whatever state
    /// the connection is in by then.
    func start(_ exchange: HTTP1Exchange) {
        let handler = self.handler
        self.channel.eventLoop.execute { handler.value.start(exchange) }
    }
}
