import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A minimal in-process MMOLove stand-in over loopback HTTP: `POST /api/referral/events` is
/// answered at once with the contract's success body (`{"ok":true,"referral_id":"r","state":…}`,
/// which ReferralKit classifies as `advanced`). It verifies no signature and stores nothing but
/// the registered tokens (see ``SinkLedger``).
struct InstantSink: Service {
    /// The path of the events endpoint.
    static let path = "/api/referral/events"

    /// Decides the answers; shared with the benchmark, which can switch it to 503.
    let ledger: SinkLedger
    private let onListening: @Sendable (Int) async -> Void

    /// Creates the sink (not listening yet).
    init(ledger: SinkLedger, onListening: @escaping @Sendable (Int) async -> Void) {
        self.ledger = ledger
        self.onListening = onListening
    }

    /// Serves until gracefully shut down.
    func run() async throws {
        let router = Router()
        let ledger = self.ledger
        router.post(RouterPath(Self.path)) { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            return Self.response(ledger.answer(body: Array(buffer: body)))
        }
        let onListening = self.onListening
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "bench-sink"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "bench-sink", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        try await application.run()
    }

    private static let advancedRegistered = ByteBuffer(string: #"{"ok":true,"referral_id":"r","state":"registered"}"#)
    private static let advancedQualified = ByteBuffer(string: #"{"ok":true,"referral_id":"r","state":"qualified"}"#)
    private static let invalidTransition = ByteBuffer(string: #"{"error":"invalid transition"}"#)
    private static let unavailable = ByteBuffer(string: #"{"error":"unavailable"}"#)
    private static let badRequest = ByteBuffer(string: #"{"error":"body is not valid JSON"}"#)

    private static func response(_ answer: SinkLedger.Answer) -> Response {
        let (status, body): (HTTPResponse.Status, ByteBuffer) =
            switch answer {
            case .advanced(let state):
                (.ok, state == "qualified" ? Self.advancedQualified : Self.advancedRegistered)
            case .invalidTransition: (.unprocessableContent, Self.invalidTransition)
            case .unavailable: (.serviceUnavailable, Self.unavailable)
            case .badRequest: (.badRequest, Self.badRequest)
            }
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    /// Starts a sink, runs `body` with its ledger and events URL, then stops it gracefully
    /// (never by cancellation: NIO traps when a cancelled server drops an accepted connection).
    ///
    /// - Throws: What `body` throws, or ``BenchError`` when the sink could not listen.
    static func withRunning<Result: Sendable>(
        _ body: (SinkLedger, String) async throws -> Result
    ) async throws -> Result {
        let ledger = SinkLedger()
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let sink = InstantSink(ledger: ledger) { port in
            listening.yield(port)
            listening.finish()
        }
        let logger = Logger(label: "bench-sink", factory: { _ in SwiftLogNoOpLogHandler() })
        let services = ServiceGroup(
            configuration: .init(services: [sink], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { tasks in
            tasks.addTask {
                defer { listening.finish() }
                try await services.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.waitForAll()
                throw BenchError("the instant sink stopped before listening")
            }
            let result: Result
            do {
                result = try await body(ledger, "http://127.0.0.1:\(port)\(Self.path)")
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
