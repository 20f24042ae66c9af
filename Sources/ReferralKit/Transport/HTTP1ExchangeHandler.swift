import NIOCore
import NIOHTTP1

/// A request for ``HTTP1ExchangeHandler``: what to write, when to give up, whom to answer.
struct HTTP1Exchange: Sendable {
    /// The request head (its headers include `Host` and `Content-Length`).
    let head: HTTPRequestHead
    /// The request body.
    let body: ByteBuffer
    /// When the whole exchange must have ended.
    let deadline: NIODeadline
    /// Completed with the response or an ``HTTP1TransportError``.
    let promise: EventLoopPromise<HTTP1Response>
}

/// The last handler of a pooled connection: writes one request at a time (head, body and end,
/// flushed once, so NIO sends them in one `writev`) and gathers its response, following
/// ``HTTP1ExchangeState``.
///
/// async-http-client flushes the head and the body separately: two system calls per request,
/// which on loopback cost about 12 µs each, and a request bag, a pool state machine and a task
/// around each one (a third of the relay's CPU time when profiled). This handler is all a
/// signed POST needs.
final class HTTP1ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTP1Exchange
    typealias OutboundOut = HTTPClientRequestPart

    private var state: HTTP1ExchangeState
    private var promise: EventLoopPromise<HTTP1Response>?
    private var deadline: Scheduled<Void>?

    /// Creates the handler of a new connection.
    ///
    /// - Parameter maxBodyBytes: The largest response body accepted.
    init(maxBodyBytes: Int) {
        self.state = HTTP1ExchangeState(maxBodyBytes: maxBodyBytes)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = self.unwrapOutboundIn(data)
        switch self.state.sendRequest() {
        case .write:
            self.promise = exchange.promise
            self.deadline = context.eventLoop.assumeIsolated().scheduleTask(deadline: exchange.deadline) {
                self.apply(self.state.deadlinePassed(), context: context)
            }
            context.write(self.wrapOutboundOut(.head(exchange.head)), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(exchange.body))), promise: nil)
            context.write(self.wrapOutboundOut(.end(nil)), promise: promise)
        case .refuse(let error):
            exchange.promise.fail(error)
            promise?.fail(error)
        default:
            preconditionFailure("sendRequest answers write or refuse")
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let action: HTTP1ExchangeState.Action
        switch self.unwrapInboundIn(data) {
        case .head(let head): action = self.state.receivedHead(head)
        case .body(let part): action = self.state.receivedBody(part)
        case .end: action = self.state.receivedEnd()
        }
        self.apply(action, context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.apply(self.state.channelError("\(error)"), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.apply(self.state.channelInactive(), context: context)
        context.fireChannelInactive()
    }

    private func apply(_ action: HTTP1ExchangeState.Action, context: ChannelHandlerContext) {
        switch action {
        case .none, .write, .refuse:
            return
        case .succeed(let response):
            let promise = self.finish()
            if !response.keepAlive {
                context.close(promise: nil)
            }
            promise?.succeed(response)
        case .fail(let error):
            let promise = self.finish()
            context.close(promise: nil)
            promise?.fail(error)
        case .close:
            context.close(promise: nil)
        }
    }

    /// Ends the exchange in flight: its deadline is cancelled and its promise handed back.
    private func finish() -> EventLoopPromise<HTTP1Response>? {
        self.deadline?.cancel()
        self.deadline = nil
        defer { self.promise = nil }
        return self.promise
    }
}

// Lives on its channel's event loop only.
@available(*, unavailable)
extension HTTP1ExchangeHandler: Sendable {}
