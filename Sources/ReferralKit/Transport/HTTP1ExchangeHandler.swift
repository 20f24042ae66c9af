import NIOCore
import NIOHTTP1
import NIOSSL

/// A request for ``HTTP1ExchangeHandler``: what to write, when to give up, whom to answer.
struct HTTP1Exchange: Sendable {
    /// The whole request, a `POST` with `Content-Length` (see ``HTTP1RequestWriter``).
    let request: ByteBuffer
    /// When the whole exchange must have ended.
    let deadline: NIODeadline
    /// Resumed once, with the response or an ``HTTP1TransportError``. A continuation rather
    /// than an `EventLoopPromise` awaited through its future: the future, its callback and the
    /// continuation `get()` makes were three allocations per request.
    let reply: UnsafeContinuation<HTTP1Response, any Error>
}

/// The last handler of a pooled connection: writes one request at a time (the whole request in
/// one buffer, flushed at once: one system call) and gathers its response, following
/// ``HTTP1ExchangeState``.
///
/// async-http-client flushes the head and the body separately: two system calls per request,
/// which on loopback cost about 12 µs each, and a request bag, a pool state machine and a task
/// around each one (a third of the relay's CPU time when profiled). This handler is all a
/// signed POST needs.
///
/// Requests come in through ``start(_:)`` on the event loop, not as writes through the
/// pipeline: a write sent to a channel that has just closed is dropped with its promise by NIO,
/// while ``start(_:)`` always answers, with the error that closed the connection when it did
/// (a TLS verification failure, say).
final class HTTP1ExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private var state: HTTP1ExchangeState
    private var context: ChannelHandlerContext?
    private var reply: UnsafeContinuation<HTTP1Response, any Error>?
    /// When the exchange in flight must have ended; `nil` between exchanges.
    private var deadline: NIODeadline?
    /// The connection's one deadline timer, and when it fires. It is not cancelled when an
    /// exchange ends: NIO cancels a scheduled task by searching its loop's whole timer queue,
    /// which with a task per request (every connection's in-flight deadline on the queue) cost
    /// microseconds per request at full speed. Firing before the current exchange's deadline (it
    /// was set for an earlier exchange), it sets itself again for that deadline: at most one
    /// firing per request timeout per connection, instead of a schedule and a cancel per request.
    private var timer: (scheduled: Scheduled<Void>, at: NIODeadline)?

    /// Creates the handler of a new connection.
    ///
    /// - Parameter maxBodyBytes: The largest response body accepted.
    init(maxBodyBytes: Int) {
        self.state = HTTP1ExchangeState(maxBodyBytes: maxBodyBytes)
    }

    /// Writes `exchange`'s request, or fails it at once when the connection is busy or closed.
    /// On the channel's event loop.
    func start(_ exchange: HTTP1Exchange) {
        switch self.state.sendRequest() {
        case .write:
            guard let context = self.context else {
                // Removed from a pipeline that is not closing: cannot happen; answer anyway.
                _ = self.state.channelInactive()
                exchange.reply.resume(
                    throwing: HTTP1TransportError(.connectionLost, beforeResponse: true, detail: "no handler"))
                return
            }
            self.reply = exchange.reply
            self.deadline = exchange.deadline
            if let timer = self.timer, timer.at <= exchange.deadline {
                // Fires first and sets itself again for this deadline.
            } else {
                // None yet, or set for later than this (a shorter deadline than the last one).
                self.timer?.scheduled.cancel()
                self.armTimer(at: exchange.deadline, on: context.eventLoop)
            }
            // The head tells the response decoder a POST went out (it frames the answer by the
            // request's method); the writer sends the body part, which is the whole request.
            context.write(self.wrapOutboundOut(.head(HTTP1RequestWriter.postHead)), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(exchange.request))), promise: nil)
        case .refuse(let error):
            exchange.reply.resume(throwing: error)
        default:
            preconditionFailure("sendRequest answers write or refuse")
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // The channel is torn down with a request in flight: it must not wait for its deadline
        // on a handler that is gone.
        self.apply(self.state.channelInactive())
        self.timer?.scheduled.cancel()
        self.timer = nil
        self.context = nil
    }

    /// Sets the connection's timer for `time`.
    private func armTimer(at time: NIODeadline, on eventLoop: any EventLoop) {
        let scheduled = eventLoop.assumeIsolated().scheduleTask(deadline: time) {
            self.timerFired()
        }
        self.timer = (scheduled, time)
    }

    /// Fails the exchange in flight if its deadline has passed; otherwise sets the timer again
    /// for it (the timer was set for an earlier exchange). Idle, the timer stays off.
    private func timerFired() {
        self.timer = nil
        guard let deadline = self.deadline, let context = self.context else { return }
        if NIODeadline.now() >= deadline {
            self.apply(self.state.deadlinePassed())
        } else {
            self.armTimer(at: deadline, on: context.eventLoop)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let action: HTTP1ExchangeState.Action
        switch self.unwrapInboundIn(data) {
        case .head(let head): action = self.state.receivedHead(head)
        case .body(let part): action = self.state.receivedBody(part)
        case .end: action = self.state.receivedEnd()
        }
        self.apply(action)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.apply(self.state.channelError("\(error)", isConnectionLoss: Self.isConnectionLoss(error)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.apply(self.state.channelInactive())
        context.fireChannelInactive()
    }

    /// `true` for the connection failing under the exchange (what a server closing an idle
    /// connection looks like), `false` for a response that does not parse or a TLS alert.
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is IOError || error is ChannelError { return true }
        if let tls = error as? NIOSSLError, case .uncleanShutdown = tls { return true }
        return false
    }

    private func apply(_ action: HTTP1ExchangeState.Action) {
        switch action {
        case .none, .write, .refuse:
            return
        case .succeed(let response):
            let reply = self.finish()
            if !response.keepAlive {
                self.context?.close(promise: nil)
            }
            reply?.resume(returning: response)
        case .fail(let error):
            let reply = self.finish()
            self.context?.close(promise: nil)
            reply?.resume(throwing: error)
        case .close:
            self.context?.close(promise: nil)
        }
    }

    /// Ends the exchange in flight: its deadline no longer applies, and its reply is handed
    /// back (to be resumed once).
    private func finish() -> UnsafeContinuation<HTTP1Response, any Error>? {
        self.deadline = nil
        defer { self.reply = nil }
        return self.reply
    }
}

// Lives on its channel's event loop only; the pool reaches it through a `NIOLoopBound`.
@available(*, unavailable)
extension HTTP1ExchangeHandler: Sendable {}
