import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Tracing

/// The MMOLove referral client: signs each request with a fresh `t` and sends the canonical body
/// bytes unchanged, through a ``ReferralConnectionPool`` or async-http-client.
///
/// For throughput, share one ``ReferralConnectionPool`` (``init(credentials:connectionPool:timeout:clock:logger:tracer:)``),
/// as the relay does: about a third of async-http-client's CPU time per request. Or pass a
/// pooled, long-lived `HTTPClient` and raise its
/// `connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit` (default 8) to the number of
/// requests you keep in flight; with neither, the client creates and owns an `HTTPClient` that
/// never follows redirects. An injected `HTTPClient` should disallow redirects too; if it follows
/// one that turned the POST into a GET, the result is the first 3xx (systemic), never the answer
/// to the GET. The pool never follows redirects.
///
/// A transport failure (no HTTP response) throws ``ReferralError`` with code `transportFailure`,
/// which classifies as status 0 (retryable). Through the pool a refused connect fails at once;
/// async-http-client keeps retrying it until the request deadline, so against a dead host a send
/// through it fails after ``timeout``.
///
/// - Important: Call ``shutdown()`` when the client owns its `HTTPClient`; an injected one is
///   left to its owner.
public final class ReferralClient: Sendable {
    /// The official SDKs' default endpoint.
    public static let defaultEndpoint = "https://mmolove.gg/api/referral/events"

    /// The endpoint events are POSTed to.
    public let endpoint: String
    /// The secret per server id.
    public let credentials: ReferralCredentials
    /// The server id used when a call names none (the only server, when there is exactly one).
    public let defaultServerID: String?
    /// The per-request timeout: connect, request, response head and body together.
    public let timeout: Duration

    /// What carries the requests.
    let transport: Transport
    /// The endpoint's host, port and scheme, parsed once (for the client span's attributes).
    let address: ReferralEndpointAddress
    let clock: ReferralClock
    let logger: Logger
    /// Where each POST's client span goes (see ``post(body:signature:)``); `nil`: no spans, and
    /// nothing is spent on tracing per request.
    let tracer: (any Tracer)?

    /// Creates a client for one or several servers.
    ///
    /// - Parameters:
    ///   - credentials: The secret per `server_id`.
    ///   - endpoint: The events URL; defaults to ``defaultEndpoint``.
    ///   - httpClient: A pooled client to share; `nil` creates one this client owns.
    ///   - timeout: The per-request deadline (connect, response head and the whole body).
    ///   - clock: The source of the signing time `t`.
    ///   - logger: Where per-request debug logs go.
    ///   - tracer: Where each POST's client span goes, a child of the caller's current
    ///     `ServiceContext`, its W3C `traceparent` sent with the request; `nil`: no tracing.
    /// - Throws: ``ReferralError`` `invalidEndpoint` when the endpoint is not an http(s) URL with a host.
    public convenience init(
        credentials: ReferralCredentials,
        endpoint: String = ReferralClient.defaultEndpoint,
        httpClient: HTTPClient? = nil,
        timeout: Duration = .seconds(10),
        clock: ReferralClock = .system,
        logger: Logger = Logger(label: "referral-kit", factory: { _ in SwiftLogNoOpLogHandler() }),
        tracer: (any Tracer)? = nil
    ) throws(ReferralError) {
        let address = try ReferralEndpointAddress.parsing(endpoint)
        let requestTemplate: HTTPClient.Request
        do {
            requestTemplate = try HTTPClient.Request(url: endpoint, method: .POST)
        } catch {
            throw ReferralError(
                .invalidEndpoint,
                reason: "endpoint is not a URL async-http-client can send to: \(ReferralEndpoint.redacted(endpoint))")
        }
        let transport: Transport
        if let httpClient {
            transport = .asyncHTTPClient(httpClient, owned: false, template: requestTemplate)
        } else {
            // Never follow redirects with a signed POST: async-http-client turns a 301/302/303 into
            // a body-less GET, whose answer says nothing about the event. The 3xx is returned and
            // classified as systemic (the endpoint is misconfigured).
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow
            // This client makes its own client span (see `post`); async-http-client's, on the
            // future-based API used here, would have no parent and carry no `traceparent`.
            configuration.tracing.tracer = nil
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            transport = .asyncHTTPClient(client, owned: true, template: requestTemplate)
        }
        self.init(
            endpoint: endpoint, address: address, transport: transport, credentials: credentials, timeout: timeout,
            clock: clock, logger: logger, tracer: tracer)
    }

    /// Creates a client that sends through a ``ReferralConnectionPool`` (the relay's transport:
    /// one system call per request, a third of async-http-client's CPU time), to the pool's
    /// endpoint.
    ///
    /// - Parameters:
    ///   - credentials: The secret per `server_id`.
    ///   - connectionPool: The pooled connections to share (their owner shuts them down).
    ///   - timeout: The per-request deadline (connect, TLS, request, response head and body).
    ///   - clock: The source of the signing time `t`.
    ///   - logger: Where per-request debug logs go.
    ///   - tracer: Where each POST's client span goes; `nil`: no tracing.
    public convenience init(
        credentials: ReferralCredentials,
        connectionPool: ReferralConnectionPool,
        timeout: Duration = .seconds(10),
        clock: ReferralClock = .system,
        logger: Logger = Logger(label: "referral-kit", factory: { _ in SwiftLogNoOpLogHandler() }),
        tracer: (any Tracer)? = nil
    ) {
        self.init(
            endpoint: connectionPool.endpoint, address: connectionPool.address,
            transport: .connectionPool(connectionPool), credentials: credentials, timeout: timeout, clock: clock,
            logger: logger, tracer: tracer)
    }

    /// What both public initialisers end in.
    private init(
        endpoint: String,
        address: ReferralEndpointAddress,
        transport: Transport,
        credentials: ReferralCredentials,
        timeout: Duration,
        clock: ReferralClock,
        logger: Logger,
        tracer: (any Tracer)?
    ) {
        self.endpoint = endpoint
        self.address = address
        self.transport = transport
        self.credentials = credentials
        self.defaultServerID = credentials.serverIDs.count == 1 ? credentials.serverIDs.first : nil
        self.timeout = timeout
        self.clock = clock
        self.logger = logger
        self.tracer = tracer
    }

    /// Creates a client for a single server.
    ///
    /// - Parameters:
    ///   - serverId: The MMOLove server id.
    ///   - secret: Its referral secret.
    ///   - endpoint: The events URL; defaults to ``defaultEndpoint``.
    ///   - httpClient: A pooled client to share; `nil` creates one this client owns.
    ///   - timeout: The per-request deadline.
    ///   - clock: The source of the signing time `t`.
    ///   - logger: Where per-request debug logs go.
    /// - Throws: ``ReferralError`` `invalidEndpoint`.
    public convenience init(
        serverId: String,
        secret: ReferralSecret,
        endpoint: String = ReferralClient.defaultEndpoint,
        httpClient: HTTPClient? = nil,
        timeout: Duration = .seconds(10),
        clock: ReferralClock = .system,
        logger: Logger = Logger(label: "referral-kit", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(ReferralError) {
        try self.init(
            credentials: ReferralCredentials(serverID: serverId, secret: secret),
            endpoint: endpoint,
            httpClient: httpClient,
            timeout: timeout,
            clock: clock,
            logger: logger
        )
    }

    /// Shuts down the `HTTPClient` if this client created it; a no-op for an injected one or a
    /// connection pool.
    ///
    /// - Throws: What `HTTPClient.shutdown()` throws.
    public func shutdown() async throws {
        if case .asyncHTTPClient(let httpClient, owned: true, _) = self.transport {
            try await httpClient.shutdown()
        }
    }

    /// The `X-MMOLove-Signature` value for `body`, signed now with the server's secret.
    ///
    /// - Parameters:
    ///   - body: The exact body bytes to send.
    ///   - serverId: The server whose secret signs; defaults to ``defaultServerID``.
    /// - Returns: `t=<now>,v1=sha256=<hex>[,kid=<kid>]`.
    /// - Throws: ``ReferralError`` `unknownServer`.
    public func sign(_ body: some Collection<UInt8>, serverId: String? = nil) throws(ReferralError) -> String {
        let secret = try self.credentials.secret(for: try self.resolveServerID(serverId))
        return Self.signReferralBody(body, secret: secret, timestamp: self.clock.now())
    }

    /// The `X-MMOLove-Signature` value for `body` at time `timestamp`, as the official SDKs'
    /// `signReferralBody` computes it.
    ///
    /// - Parameters:
    ///   - body: The exact body bytes to send.
    ///   - secret: The server's secret.
    ///   - timestamp: The signing time `t`, unix seconds.
    /// - Returns: `t=<t>,v1=sha256=<hex>[,kid=<kid>]`.
    public static func signReferralBody(
        _ body: some Collection<UInt8>,
        secret: ReferralSecret,
        timestamp: Int64
    ) -> String {
        ReferralSignature.sign(body: body, secret: secret, timestamp: timestamp).headerValue
    }

    func resolveServerID(_ serverId: String?) throws(ReferralError) -> String {
        if let serverId { return serverId }
        guard let defaultServerID = self.defaultServerID else {
            throw ReferralError(
                .unknownServer, reason: "no server_id given and the client has no single default server")
        }
        return defaultServerID
    }
}

extension ReferralClient {
    /// What carries a client's requests.
    enum Transport: Sendable {
        /// async-http-client, with a POST to the endpoint parsed once: each send copies it
        /// (parsing the URL for every request was 1.4% of the relay's CPU time when profiled).
        /// `owned`: created by this client, which shuts it down.
        case asyncHTTPClient(HTTPClient, owned: Bool, template: HTTPClient.Request)
        /// The SDK's own keep-alive connections.
        case connectionPool(ReferralConnectionPool)
    }
}
