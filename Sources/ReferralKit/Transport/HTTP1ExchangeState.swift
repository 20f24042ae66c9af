import NIOCore
import NIOHTTP1

/// One connection's HTTP/1.1 exchanges, as values: at most one request in flight, its response
/// gathered until its end. Each event on the channel returns what the handler must do, so the
/// rules (one request at a time, the body limit, which losses may be retried on a new
/// connection) are tested without a channel.
struct HTTP1ExchangeState {
    /// Where the connection is.
    enum State {
        /// No request in flight: the connection may take one.
        case idle
        /// A request was written; nothing of its response has arrived.
        case awaitingHead
        /// The response's head arrived; its body is being gathered.
        case receivingBody(HTTPResponseHead, ByteBuffer)
        /// The connection is closed or failed, or is being closed: it takes no more requests.
        case closed
    }

    /// What the handler does after an event.
    enum Action: Equatable {
        /// Nothing.
        case none
        /// Write the request.
        case write
        /// Refuse the request (the connection is busy or closed); the connection is unaffected.
        case refuse(HTTP1TransportError)
        /// Complete the request with this response; close the connection unless it is kept alive.
        case succeed(HTTP1Response)
        /// Fail the request in flight and close the connection.
        case fail(HTTP1TransportError)
        /// No request in flight, but the connection is unusable: close it.
        case close
    }

    /// The largest response body accepted, in bytes.
    let maxBodyBytes: Int
    private(set) var state: State = .idle

    /// Creates the state of a new connection.
    ///
    /// - Parameter maxBodyBytes: The largest response body accepted.
    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// A request is to be written.
    mutating func sendRequest() -> Action {
        switch self.state {
        case .idle:
            self.state = .awaitingHead
            return .write
        case .awaitingHead, .receivingBody:
            return .refuse(HTTP1TransportError(.connectionLost, detail: "connection busy"))
        case .closed:
            return .refuse(HTTP1TransportError(.connectionLost, beforeResponse: true, detail: "connection closed"))
        }
    }

    /// A response head arrived (informational 1xx heads are dropped by the decoder).
    mutating func receivedHead(_ head: HTTPResponseHead) -> Action {
        guard case .awaitingHead = self.state else { return self.unexpected() }
        self.state = .receivingBody(head, ByteBuffer())
        return .none
    }

    /// Part of the response body arrived.
    mutating func receivedBody(_ part: ByteBuffer) -> Action {
        guard case .receivingBody(let head, var body) = self.state else { return self.unexpected() }
        guard body.readableBytes + part.readableBytes <= self.maxBodyBytes else {
            self.state = .closed
            return .fail(HTTP1TransportError(.bodyTooLarge, detail: "over \(self.maxBodyBytes) bytes"))
        }
        // Not held in `state` while appending, so the buffer is not copied on write.
        self.state = .closed
        if body.readableBytes == 0 {
            body = part
        } else {
            var part = part
            body.writeBuffer(&part)
        }
        self.state = .receivingBody(head, body)
        return .none
    }

    /// The response ended.
    mutating func receivedEnd() -> Action {
        guard case .receivingBody(let head, let body) = self.state else { return self.unexpected() }
        let response = HTTP1Response(
            status: Int(head.status.code), headers: head.headers, body: body, keepAlive: head.isKeepAlive)
        self.state = response.keepAlive ? .idle : .closed
        return .succeed(response)
    }

    /// An error on the channel: a reset, a TLS failure, a response that does not parse. Before
    /// any byte of a response it may be a connection the server closed while idle.
    mutating func channelError(_ detail: String) -> Action {
        let beforeResponse = if case .awaitingHead = self.state { true } else { false }
        return self.failed(HTTP1TransportError(.connectionLost, beforeResponse: beforeResponse, detail: detail))
    }

    /// The request's deadline passed.
    mutating func deadlinePassed() -> Action {
        self.failed(HTTP1TransportError(.timeout))
    }

    /// The request in flight fails with `error` and the connection closes.
    private mutating func failed(_ error: HTTP1TransportError) -> Action {
        switch self.state {
        case .idle:
            self.state = .closed
            return .close
        case .awaitingHead, .receivingBody:
            self.state = .closed
            return .fail(error)
        case .closed:
            return .none
        }
    }

    /// The connection closed.
    mutating func channelInactive() -> Action {
        switch self.state {
        case .idle, .closed:
            self.state = .closed
            return .none
        case .awaitingHead:
            self.state = .closed
            return .fail(HTTP1TransportError(.connectionLost, beforeResponse: true, detail: "closed before the response"))
        case .receivingBody:
            self.state = .closed
            return .fail(HTTP1TransportError(.connectionLost, detail: "closed before the response's end"))
        }
    }

    /// A response part out of turn (the decoder refuses an unsolicited response itself, so this
    /// is a safeguard): whatever was in flight fails and the connection closes.
    private mutating func unexpected() -> Action {
        self.failed(HTTP1TransportError(.connectionLost, detail: "response part out of turn"))
    }
}

extension HTTP1Response: Equatable {
    static func == (lhs: HTTP1Response, rhs: HTTP1Response) -> Bool {
        lhs.status == rhs.status && lhs.headers == rhs.headers && lhs.body == rhs.body
            && lhs.keepAlive == rhs.keepAlive
    }
}
