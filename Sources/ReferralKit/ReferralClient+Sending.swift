import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

extension ReferralClient {
    /// Sends a `registered` event.
    ///
    /// - Parameters:
    ///   - token: The `mmref` token.
    ///   - refereeIdentity: The referee's stable id.
    ///   - serverEventId: The idempotency key, stable across retries.
    ///   - ts: Unix seconds of the registration, recommended.
    ///   - test: `true` for a dry run.
    ///   - serverId: The server; defaults to ``defaultServerID``.
    /// - Returns: The status, body and classification.
    /// - Throws: ``ReferralError`` `invalidEvent`, `unknownServer` or `transportFailure`.
    public func registered(
        token: String,
        refereeIdentity: String,
        serverEventId: String,
        ts: Int64? = nil,
        test: Bool = false,
        serverId: String? = nil
    ) async throws(ReferralError) -> SendResult {
        let event = try ReferralEvent(
            kind: .registered,
            token: token,
            serverID: try self.resolveServerID(serverId),
            refereeIdentity: refereeIdentity,
            serverEventID: serverEventId,
            ts: ts,
            test: test
        )
        return try await self.send(event.encoded())
    }

    /// Sends a `qualified` event.
    ///
    /// - Parameters:
    ///   - token: The `mmref` token.
    ///   - serverEventId: The idempotency key, stable across retries.
    ///   - ts: Unix seconds of the qualification, recommended.
    ///   - test: `true` for a dry run.
    ///   - serverId: The server; defaults to ``defaultServerID``.
    /// - Returns: The status, body and classification.
    /// - Throws: ``ReferralError`` `invalidEvent`, `unknownServer` or `transportFailure`.
    public func qualified(
        token: String,
        serverEventId: String,
        ts: Int64? = nil,
        test: Bool = false,
        serverId: String? = nil
    ) async throws(ReferralError) -> SendResult {
        let event = try ReferralEvent(
            kind: .qualified,
            token: token,
            serverID: try self.resolveServerID(serverId),
            serverEventID: serverEventId,
            ts: ts,
            test: test
        )
        return try await self.send(event.encoded())
    }

    /// Sends any validated event (encoded once here).
    ///
    /// - Parameter event: The event.
    /// - Returns: The status, body and classification.
    /// - Throws: ``ReferralError`` `unknownServer` or `transportFailure`.
    public func send(_ event: ReferralEvent) async throws(ReferralError) -> SendResult {
        try await self.send(event.encoded())
    }

    /// Sends an already-encoded event: its body bytes are re-signed with a fresh `t`, never
    /// re-serialised, so the relay can call this on every retry.
    ///
    /// - Parameter encoded: The event and its canonical body.
    /// - Returns: The status, body and classification.
    /// - Throws: ``ReferralError`` `unknownServer` or `transportFailure`.
    public func send(_ encoded: EncodedReferralEvent) async throws(ReferralError) -> SendResult {
        try await self.send(body: encoded.body, serverId: encoded.event.serverID)
    }

    /// Sends raw body bytes signed with `serverId`'s secret; for tools and contract tests that
    /// must send what the encoder would never produce.
    ///
    /// - Parameters:
    ///   - body: The exact bytes to sign and send.
    ///   - serverId: The server whose secret signs; defaults to ``defaultServerID``.
    /// - Returns: The status, body and classification.
    /// - Throws: ``ReferralError`` `unknownServer` or `transportFailure`.
    public func send(body: [UInt8], serverId: String? = nil) async throws(ReferralError) -> SendResult {
        let signature = try self.sign(body, serverId: serverId)
        return try await self.post(body: body, signature: signature)
    }

    /// POSTs `body` with the given signature header value; with a ``tracer``, inside a client
    /// span whose W3C trace context goes with the request (`traceparent`, `tracestate`).
    ///
    /// - Parameters:
    ///   - body: The exact bytes to send.
    ///   - signature: The `X-MMOLove-Signature` value.
    /// - Returns: The status, body and classification.
    /// - Throws: ``ReferralError`` `transportFailure` when no HTTP response arrived.
    public func post(body: [UInt8], signature: String) async throws(ReferralError) -> SendResult {
        let headers: HTTPHeaders = ["Content-Type": "application/json", ReferralSignature.headerName: signature]
        guard let tracer = self.tracer else { return try await self.exchange(body: body, headers: headers) }
        return try await self.tracedExchange(body: body, headers: headers, tracer: tracer)
    }

    /// One POST of `body` with `headers`, its deadline covering the whole exchange.
    ///
    /// - Throws: ``ReferralError`` `transportFailure` when no HTTP response arrived.
    func exchange(body: [UInt8], headers: HTTPHeaders) async throws(ReferralError) -> SendResult {
        // The pool without a `switch` here: an async function's frame has room for every value
        // it binds, and the other case's request template (2.4 KB) made this frame 2.7 KB, one
        // more block from `malloc` per request.
        if case .connectionPool(let pool) = self.transport {
            return try await self.exchange(body: body, headers: headers, pool: pool)
        }
        return try await self.exchangeThroughHTTPClient(body: body, headers: headers)
    }

    /// ``exchange(body:headers:)`` with the async-http-client transport.
    @inline(never)
    private func exchangeThroughHTTPClient(body: [UInt8], headers: HTTPHeaders) async throws(ReferralError)
        -> SendResult
    {
        guard case .asyncHTTPClient(let httpClient, _, let template) = self.transport else {
            preconditionFailure("called for the async-http-client transport only")
        }
        return try await self.exchange(body: body, headers: headers, httpClient: httpClient, template: template)
    }

    /// ``exchange(body:headers:)`` through a ``ReferralConnectionPool``.
    private func exchange(
        body: [UInt8], headers: HTTPHeaders, pool: ReferralConnectionPool
    ) async throws(ReferralError) -> SendResult {
        do {
            let response = try await pool.post(headers: headers, body: body, deadline: .now() + self.timeAmount)
            return self.sent(
                SendResult(
                    status: response.status,
                    body: Array(response.body.readableBytesView),
                    retryAfter: response.headers.first(name: "Retry-After")
                ))
        } catch {
            throw self.transportFailure(error)
        }
    }

    /// ``exchange(body:headers:)`` through async-http-client.
    private func exchange(
        body: [UInt8], headers: HTTPHeaders, httpClient: HTTPClient, template: HTTPClient.Request
    ) async throws(ReferralError) -> SendResult {
        do {
            var request = template
            request.headers = headers
            request.body = .byteBuffer(ByteBuffer(bytes: body))
            // The deadline of this API covers the whole exchange, body included (that of the
            // async `execute(_:timeout:)` stops at the response head, so a peer that sent its
            // head and stalled needed a timer task racing the body per request: profiling the
            // relay showed that timer at a quarter of the cost of a send).
            let response = try await httpClient.execute(
                request: request,
                delegate: ResponseAccumulator(request: request, maxBodySize: 1 << 20),
                deadline: .now() + self.timeAmount
            ).futureResult.get()
            let result: SendResult
            let hops = response.history.map {
                (isPost: $0.request.method == .POST, status: Int($0.responseHead.status.code))
            }
            if let redirectStatus = Self.redirectThatDroppedTheBody(hops) {
                // The final answer is to a body-less GET, not to the event: report the redirect.
                result = SendResult(status: redirectStatus, body: [])
            } else {
                result = SendResult(
                    status: Int(response.status.code),
                    body: response.body.map { Array($0.readableBytesView) } ?? [],
                    retryAfter: response.headers.first(name: "Retry-After")
                )
            }
            return self.sent(result)
        } catch {
            throw self.transportFailure(error)
        }
    }

    /// `result`, logged at debug.
    private func sent(_ result: SendResult) -> SendResult {
        self.logger.debug("referral event sent", metadata: [ReferralLogMetadata.status: "\(result.status)"])
        return result
    }

    /// The ``ReferralError`` `transportFailure` for `error` (no HTTP response), logged at debug.
    private func transportFailure(_ error: any Error) -> ReferralError {
        self.logger.debug("referral event transport failure", metadata: [ReferralLogMetadata.error: "\(error)"])
        return ReferralError(
            .transportFailure, reason: "no response from \(ReferralEndpoint.redacted(self.endpoint)): \(error)")
    }

    /// The status of the first redirect an injected `HTTPClient` followed when a later hop was no
    /// longer the POST of the event (async-http-client turns 301/302/303 into a GET without the
    /// body); `nil` when no redirect was followed or every hop kept method and body (307/308).
    static func redirectThatDroppedTheBody(_ history: [(isPost: Bool, status: Int)]) -> Int? {
        guard history.count > 1, history.contains(where: { !$0.isPost }) else { return nil }
        return history.first?.status
    }

    private var timeAmount: TimeAmount {
        let (seconds, attoseconds) = self.timeout.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
