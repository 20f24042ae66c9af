import NIOCore
import NIOHTTP1

/// One connection's HTTP/1.1 exchanges, as values: at most one request in flight, its response
/// gathered until its end. Each event on the channel returns what the handler must do, so the
/// rules (one request at a time, the body limit, which losses may be retried on a new
/// connection, what a request on a closed connection is told) are tested without a channel.
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
        /// `reason`: what closed it, when that was an error (a TLS verification failure, say),
        /// told to a request that arrives after.
        case closed(reason: String?)
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
        case .closed(let reason):
            // Never written: the server cannot have seen it, so a reused connection may retry.
            return .refuse(
                HTTP1TransportError(.connectionLost, beforeResponse: true, detail: reason ?? "connection closed"))
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
            return self.failed(HTTP1TransportError(.bodyTooLarge, detail: "over \(self.maxBodyBytes) bytes"))
        }
        // Not held in `state` while appending, so the buffer is not copied on write.
        self.state = .closed(reason: nil)
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
        // A body without a length (neither Content-Length nor chunked) ends when the server
        // closes: that connection is not kept, whatever the head said.
        let framed =
            head.headers.contains(name: "Content-Length") || head.headers.contains(name: "Transfer-Encoding")
            || head.status.code == 204 || head.status.code == 304
        let response = HTTP1Response(
            status: Int(head.status.code), headers: head.headers, body: body, keepAlive: head.isKeepAlive && framed)
        self.state = response.keepAlive ? .idle : .closed(reason: nil)
        return .succeed(response)
    }

    /// An error on the channel: a reset, a TLS failure, a response that does not parse.
    ///
    /// - Parameters:
    ///   - detail: The error's text.
    ///   - isConnectionLoss: `true` for the connection itself failing (a reset, a broken pipe, a
    ///     TLS connection closed without its alert): before any byte of a response that may be a
    ///     connection the server closed while idle, which a new connection may retry. A response
    ///     that does not parse, or a TLS alert, is the server's answer and is never retried.
    mutating func channelError(_ detail: String, isConnectionLoss: Bool) -> Action {
        let beforeResponse = if case .awaitingHead = self.state { isConnectionLoss } else { false }
        return self.failed(HTTP1TransportError(.connectionLost, beforeResponse: beforeResponse, detail: detail))
    }

    /// The request's deadline passed.
    mutating func deadlinePassed() -> Action {
        self.failed(HTTP1TransportError(.timeout))
    }

    /// The connection closed (or its handler left the pipeline as it was torn down).
    mutating func channelInactive() -> Action {
        switch self.state {
        case .idle:
            self.state = .closed(reason: nil)
            return .none
        case .closed:
            return .none
        case .awaitingHead:
            self.state = .closed(reason: nil)
            return .fail(
                HTTP1TransportError(.connectionLost, beforeResponse: true, detail: "closed before the response"))
        case .receivingBody:
            self.state = .closed(reason: nil)
            return .fail(HTTP1TransportError(.connectionLost, detail: "closed before the response's end"))
        }
    }

    /// The request in flight fails with `error` and the connection closes; the error is kept
    /// as the reason told to later requests.
    private mutating func failed(_ error: HTTP1TransportError) -> Action {
        switch self.state {
        case .idle:
            self.state = .closed(reason: error.description)
            return .close
        case .awaitingHead, .receivingBody:
            self.state = .closed(reason: error.description)
            return .fail(error)
        case .closed:
            return .none
        }
    }

    /// A response part out of turn (the decoder refuses an unsolicited response itself, so this
    /// is a safeguard): whatever was in flight fails and the connection closes.
    private mutating func unexpected() -> Action {
        self.failed(HTTP1TransportError(.connectionLost, detail: "response part out of turn"))
    }
}
