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
    ///   - maxBodyBytes: The largest response body accepted (1 MiB, as the client's before).
    ///   - eventLoopGroup: Where the connections live.
    /// - Throws: ``ReferralError`` `invalidEndpoint` when the endpoint is not an http(s) URL with
    ///   a host, or its TLS settings cannot be loaded.
    public init(
        endpoint: String,
        maxIdleConnections: Int = 64,
        connectTimeout: Duration = .seconds(10),
        tlsConfiguration: TLSConfiguration? = nil,
        maxBodyBytes: Int = 1 << 20,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(ReferralError) {
        guard let address = ReferralEndpointAddress(endpoint) else {
            throw ReferralError(
                .invalidEndpoint, reason: "endpoint is not an http(s) URL: \(ReferralEndpoint.redacted(endpoint))")
        }
        if address.usesTLS {
            do {
                self.sslContext = try NIOSSLContext(
                    configuration: tlsConfiguration ?? TLSConfiguration.makeClientConfiguration())
            } catch {
                throw ReferralError(.invalidEndpoint, reason: "the TLS settings cannot be loaded: \(error)")
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
        self.idle = Mutex(IdleConnections())
    }

    /// Closes the idle connections; requests still in flight finish, and later ones fail.
    public func shutdown() async {
        let channels = self.idle.withLock { $0.shutDown() }
        for channel in channels {
            try? await channel.close()
        }
    }

    /// POSTs `body` with `headers` (plus `Host` and `Content-Length`) and reads the whole answer.
    ///
    /// - Parameters:
    ///   - headers: The request's own headers.
    ///   - body: The body bytes.
    ///   - deadline: When the exchange (connect, TLS, request, whole response) must have ended.
    /// - Returns: The response.
    /// - Throws: ``HTTP1TransportError``.
    func post(headers: HTTPHeaders, body: ByteBuffer, deadline: NIODeadline) async throws -> HTTP1Response {
        var headers = headers
        guard Self.areValid(headers) else { throw HTTP1TransportError(.invalidHeader) }
        headers.add(name: "Host", value: self.address.hostHeader)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: self.address.requestTarget, headers: headers)
        var retried = false
        while true {
            let (channel, reused) = try await self.acquire(deadline: deadline)
            let promise = channel.eventLoop.makePromise(of: HTTP1Response.self)
            channel.writeAndFlush(HTTP1Exchange(head: head, body: body, deadline: deadline, promise: promise), promise: nil)
            do {
                let response = try await promise.futureResult.get()
                self.release(channel, reusable: response.keepAlive)
                return response
            } catch let error as HTTP1TransportError
                where error.beforeResponse && reused && !retried && deadline > .now()
            {
                // The server closed this idle connection as the request went out.
                retried = true
            }
        }
    }

    /// An idle connection still open, or a new one.
    private func acquire(deadline: NIODeadline) async throws -> (Channel, reused: Bool) {
        while let channel = try self.idle.withLock({ idle throws(HTTP1TransportError) in try idle.take() }) {
            if channel.isActive { return (channel, true) }
        }
        return (try await self.connect(deadline: deadline), false)
    }

    /// Puts `channel` back for the next request, or closes it.
    private func release(_ channel: Channel, reusable: Bool) {
        let kept = reusable && channel.isActive
            && self.idle.withLock { $0.put(channel, limit: self.maxIdleConnections) }
        if !kept {
            channel.close(promise: nil)
        }
    }

    /// `false` when a header name or value holds CR, LF or NUL, which would split the request
    /// (trace context comes from Kafka record headers, which anyone producing may set).
    static func areValid(_ headers: HTTPHeaders) -> Bool {
        headers.allSatisfy { name, value in
            !name.utf8.contains(where: Self.isForbidden) && !value.utf8.contains(where: Self.isForbidden)
        }
    }

    private static func isForbidden(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") || byte == 0
    }
}

/// The pool's idle connections, most recently used last (reused first, so the others may be
/// closed by the server's idle timeout instead of being kept warm for nothing).
struct IdleConnections {
    private var channels: [any Channel] = []
    private var isShutDown = false

    /// The most recently used idle connection, if any.
    ///
    /// - Throws: ``HTTP1TransportError`` `shutDown` after ``shutDown()``.
    mutating func take() throws(HTTP1TransportError) -> (any Channel)? {
        guard !self.isShutDown else { throw HTTP1TransportError(.shutDown) }
        return self.channels.popLast()
    }

    /// Keeps `channel` unless `limit` are kept or the pool is shut down.
    ///
    /// - Returns: `true` when kept.
    mutating func put(_ channel: any Channel, limit: Int) -> Bool {
        guard !self.isShutDown, self.channels.count < limit else { return false }
        self.channels.append(channel)
        return true
    }

    /// Refuses every later request and hands over the idle connections to close.
    mutating func shutDown() -> [any Channel] {
        self.isShutDown = true
        defer { self.channels = [] }
        return self.channels
    }
}
