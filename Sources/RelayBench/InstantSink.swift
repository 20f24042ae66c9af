import NIOCore
import NIOPosix

/// A minimal in-process MMOLove stand-in over loopback HTTP/1.1: `POST /api/referral/events` is
/// answered at once with the contract's success body (`{"ok":true,"referral_id":"r","state":…}`,
/// which ReferralKit classifies as `advanced`). It verifies no signature and stores nothing but
/// the registered tokens (see ``SinkLedger``).
///
/// One handler on the raw connection that frames requests itself (``SinkRequestFramer``) and
/// writes whole answers prepared once, on the event loop, as nginx answers from its config: the
/// issue measured the relay against nginx, and the sink's cost is not the relay's. The
/// Hummingbird router it first was (a task and a request context per request) took about half
/// of row 4's CPU, and NIO's HTTP server pipeline after it about a fifth; row 3's ceiling
/// measures what is left of the sink together with the client.
enum InstantSink {
    /// The path of the events endpoint.
    static let path = "/api/referral/events"

    /// Starts a sink, runs `body` with its ledger and events URL, then closes it.
    ///
    /// - Throws: What `body` throws, or the error binding the port.
    static func withRunning<Result: Sendable>(
        _ body: (SinkLedger, String) async throws -> Result
    ) async throws -> Result {
        let ledger = SinkLedger()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SinkHandler(ledger: ledger))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress?.port ?? 0
        let result: Result
        do {
            result = try await body(ledger, "http://127.0.0.1:\(port)\(Self.path)")
        } catch {
            try? await server.close()
            throw error
        }
        try? await server.close()
        return result
    }
}

/// One connection's requests: frames them, asks the ledger, writes the answers (flushed once
/// per read, so pipelined requests are answered together), closes after a request that asked
/// for it or bytes that are not a request.
private final class SinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let ledger: SinkLedger
    private var framer = SinkRequestFramer()
    /// Closed (or closing): nothing more is read or answered.
    private var done = false

    init(ledger: SinkLedger) { self.ledger = ledger }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done else { return }
        let chunk = self.unwrapInboundIn(data)
        chunk.withUnsafeReadableBytes { self.framer.append($0) }
        while !self.done {
            let request: SinkRequestFramer.Request?
            do {
                request = try self.framer.next()
            } catch {
                self.finish(context: context, last: SinkAnswers.malformed.close)
                return
            }
            guard let request else { return }
            let answer = self.answer(request)
            if request.keepAlive {
                context.write(self.wrapOutboundOut(answer.keepAlive), promise: nil)
            } else {
                self.finish(context: context, last: answer.close)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    /// Writes `last`, flushes, and closes once it is written.
    private func finish(context: ChannelHandlerContext, last: ByteBuffer) {
        self.done = true
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(self.wrapOutboundOut(last)).whenComplete { _ in bound.value.close(promise: nil) }
    }

    private func answer(_ request: SinkRequestFramer.Request) -> SinkAnswers.Pair {
        guard request.method == "POST", request.target == InstantSink.path else { return SinkAnswers.notFound }
        switch self.ledger.answer(body: request.body) {
        case .advanced(let state): return state == "qualified" ? SinkAnswers.qualified : SinkAnswers.registered
        case .invalidTransition: return SinkAnswers.invalidTransition
        case .unavailable: return SinkAnswers.unavailable
        case .badRequest: return SinkAnswers.unreadableBody
        }
    }
}

/// The sink's answers, whole (status line, headers, body), made once.
enum SinkAnswers {
    /// An answer on a connection kept open, and the same answer closing it.
    struct Pair {
        /// Without `Connection: close`.
        let keepAlive: ByteBuffer
        /// With `Connection: close`.
        let close: ByteBuffer
    }

    static let registered = Self.pair("200 OK", #"{"ok":true,"referral_id":"r","state":"registered"}"#)
    static let qualified = Self.pair("200 OK", #"{"ok":true,"referral_id":"r","state":"qualified"}"#)
    static let invalidTransition = Self.pair("422 Unprocessable Entity", #"{"error":"invalid transition"}"#)
    static let unavailable = Self.pair("503 Service Unavailable", #"{"error":"unavailable"}"#)
    static let unreadableBody = Self.pair("400 Bad Request", #"{"error":"body is not valid JSON"}"#)
    static let notFound = Self.pair("404 Not Found", #"{"error":"not found"}"#)
    /// The answer to bytes that are not a request (the connection closes after it).
    static let malformed = Self.pair("400 Bad Request", #"{"error":"not an HTTP/1.1 request this sink takes"}"#)

    private static func pair(_ status: String, _ body: String) -> Pair {
        Pair(keepAlive: Self.render(status, body, close: false), close: Self.render(status, body, close: true))
    }

    private static func render(_ status: String, _ body: String, close: Bool) -> ByteBuffer {
        ByteBuffer(
            string: "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
                + (close ? "Connection: close\r\n" : "") + "\r\n" + body)
    }
}
