import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal in-process MMOLove stand-in over loopback HTTP/1.1: `POST /api/referral/events` is
/// answered at once with the contract's success body (`{"ok":true,"referral_id":"r","state":…}`,
/// which ReferralKit classifies as `advanced`). It verifies no signature and stores nothing but
/// the registered tokens (see ``SinkLedger``).
///
/// A bare NIO pipeline that answers on the event loop, as nginx answers from its config: the
/// issue measured the relay against nginx, and the sink's cost is not the relay's. The
/// Hummingbird router it replaced (a task and a request context per request) took about half of
/// row 4's CPU; row 3's ceiling measures what is left of the sink together with the client.
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
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
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

/// One connection's requests: collects a body, asks the ledger, answers with a fixed body.
private final class SinkHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private static let advancedRegistered = ByteBuffer(string: #"{"ok":true,"referral_id":"r","state":"registered"}"#)
    private static let advancedQualified = ByteBuffer(string: #"{"ok":true,"referral_id":"r","state":"qualified"}"#)
    private static let invalidTransition = ByteBuffer(string: #"{"error":"invalid transition"}"#)
    private static let unavailable = ByteBuffer(string: #"{"error":"unavailable"}"#)
    private static let badRequest = ByteBuffer(string: #"{"error":"body is not valid JSON"}"#)
    private static let notFound = ByteBuffer(string: #"{"error":"not found"}"#)

    private let ledger: SinkLedger
    private var body = ByteBuffer()
    private var isEvents = false
    private var keepAlive = true

    init(ledger: SinkLedger) { self.ledger = ledger }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            body.clear()
            isEvents = head.method == .POST && head.uri == InstantSink.path
            keepAlive = head.isKeepAlive
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            let (status, answer): (HTTPResponseStatus, ByteBuffer) =
                if isEvents {
                    switch ledger.answer(body: Array(buffer: body)) {
                    case .advanced(let state):
                        (.ok, state == "qualified" ? Self.advancedQualified : Self.advancedRegistered)
                    case .invalidTransition: (.unprocessableEntity, Self.invalidTransition)
                    case .unavailable: (.serviceUnavailable, Self.unavailable)
                    case .badRequest: (.badRequest, Self.badRequest)
                    }
                } else {
                    (.notFound, Self.notFound)
                }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(answer.readableBytes))
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(answer))), promise: nil)
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                written.whenComplete { _ in bound.value.close(promise: nil) }
            }
        }
    }
}
