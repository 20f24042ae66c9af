import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A loopback HTTP/1.1 server for the connection pool's tests, answering each request as the
/// test's `reply` says: real sockets, real parsing on this side (NIO's request decoder), and
/// answers written as raw bytes, so a test can send what a well-behaved server would not.
final class TestHTTPServer: Sendable {
    /// What the server does with one request.
    enum Reply: Sendable {
        /// These bytes, then the connection stays open (or closes when `close`).
        case raw(String, close: Bool = false)
        /// Close the connection without answering.
        case closeWithoutAnswer
        /// These bytes after `delay`, the connection kept open.
        case delayed(TimeAmount, String)
        /// Never answer.
        case stall
    }

    /// One request as the server read it.
    struct Request: Sendable {
        /// The connection it came on, counted from 0.
        let connection: Int
        let head: HTTPRequestHead
        let body: [UInt8]
    }

    /// What the server saw, shared by its connections.
    final class Record: Sendable {
        let state = Mutex<(connections: Int, requests: [Request])>((0, []))
    }

    /// The bound port.
    let port: Int
    private let channel: any Channel
    private let record: Record

    /// The connections accepted so far.
    var connections: Int { self.record.state.withLock { $0.connections } }
    /// The requests read so far.
    var requests: [Request] { self.record.state.withLock { $0.requests } }

    /// Starts a server on a loopback address and a free port.
    ///
    /// - Parameters:
    ///   - tls: The certificate to speak TLS with; `nil`: plain HTTP.
    ///   - host: The loopback address to listen on.
    ///   - closeOnAccept: `true` to close every connection as soon as it is accepted.
    ///   - reply: What to answer to each request (its index on its connection, from 0).
    static func start(
        tls: TestCertificate? = nil,
        host: String = "127.0.0.1",
        closeOnAccept: Bool = false,
        reply: @escaping @Sendable (_ request: Request, _ indexOnConnection: Int) -> Reply
    ) async throws -> TestHTTPServer {
        let record = Record()
        let sslContext = try tls.map { try NIOSSLContext(configuration: try $0.server) }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = record.state.withLock { record in
                        defer { record.connections += 1 }
                        return record.connections
                    }
                    if closeOnAccept {
                        channel.close(promise: nil)
                        return
                    }
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        Handler(connection: connection, record: record, reply: reply))
                }
            }
            .bind(host: host, port: 0).get()
        return TestHTTPServer(channel: channel, record: record)
    }

    private init(channel: any Channel, record: Record) {
        self.channel = channel
        self.port = channel.localAddress!.port!
        self.record = record
    }

    /// The URL of `path` on this server.
    func url(_ path: String = "/api/referral/events", scheme: String = "http", host: String = "127.0.0.1") -> String {
        "\(scheme)://\(host):\(self.port)\(path)"
    }

    /// Stops accepting connections (open ones are left to their clients).
    func stop() async {
        try? await self.channel.close()
    }

    /// Reads requests on one connection and answers each.
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart

        let connection: Int
        let record: Record
        let reply: @Sendable (Request, Int) -> Reply
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        var index = 0

        init(
            connection: Int, record: Record,
            reply: @escaping @Sendable (Request, Int) -> Reply
        ) {
            self.connection = connection
            self.record = record
            self.reply = reply
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                self.body = []
            case .body(let part):
                self.body += part.readableBytesView
            case .end:
                let request = Request(connection: self.connection, head: self.head!, body: self.body)
                self.record.state.withLock { $0.requests.append(request) }
                defer { self.index += 1 }
                switch self.reply(request, self.index) {
                case .raw(let text, let close):
                    let written = context.writeAndFlush(NIOAny(ByteBuffer(string: text)))
                    if close {
                        written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                    }
                case .delayed(let delay, let text):
                    context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                        context.writeAndFlush(NIOAny(ByteBuffer(string: text)), promise: nil)
                    }
                case .closeWithoutAnswer:
                    context.close(promise: nil)
                case .stall:
                    break
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

extension TestHTTPServer {
    /// A 200 with MMOLove's answer to a new event, kept alive.
    static let ok = Reply.raw(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
}
