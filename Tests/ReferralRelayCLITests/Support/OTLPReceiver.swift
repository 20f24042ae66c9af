import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An OTLP/HTTP trace receiver on loopback, as a collector would be: it answers every
/// `POST /v1/traces` with an empty `ExportTraceServiceResponse` and keeps each request, so a test
/// can read the spans a relay exported (with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`).
final class OTLPReceiver: Sendable {
    /// One export request.
    struct Export: Sendable {
        /// Its headers, names lowercased.
        var headers: [String: String]
        /// Its JSON body.
        var body: Data
    }

    /// One span of an export, reduced to what the tests check.
    struct Span: Sendable, Hashable {
        var name: String
        /// OTLP's `SpanKind` number: 3 client, 5 consumer.
        var kind: Int
        /// Lowercase hex.
        var traceID: String
        var spanID: String
        /// Empty for a root span.
        var parentSpanID: String
        var serviceName: String?
    }

    private let exports = Mutex<[Export]>([])

    /// Every export received so far.
    var received: [Export] { self.exports.withLock { $0 } }

    /// Every span received so far.
    var spans: [Span] { self.received.flatMap { Self.spans(in: $0.body) } }

    /// Runs a receiver on 127.0.0.1 (a free port) for the duration of `body`.
    static func withRunning<Result: Sendable>(
        _ body: (OTLPReceiver, _ endpoint: String) async throws -> Result
    ) async throws -> Result {
        let receiver = OTLPReceiver()
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 16 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            receiver.exports.withLock { $0.append(Export(headers: headers, body: Data(buffer: bytes))) }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))
        }
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                listening.yield(channel.localAddress?.port ?? 0)
                listening.finish()
            },
            logger: Logger(label: "otlp-receiver", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let services = ServiceGroup(
            configuration: .init(
                services: [app], logger: Logger(label: "otlp-receiver", factory: { _ in SwiftLogNoOpLogHandler() })))
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { tasks in
            tasks.addTask {
                defer { listening.finish() }
                try await services.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.waitForAll()
                throw CancellationError()
            }
            let result: Result
            do {
                result = try await body(receiver, "http://127.0.0.1:\(port)")
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    /// The spans of an `ExportTraceServiceRequest` in OTLP/JSON. Ids are accepted in hex (what
    /// the OTLP/JSON spec asks for) and in base64 (protobuf's JSON mapping of `bytes`).
    static func spans(in body: Data) -> [Span] {
        guard let root = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return [] }
        var spans: [Span] = []
        for resourceSpans in root["resourceSpans"] as? [[String: Any]] ?? [] {
            let resource = resourceSpans["resource"] as? [String: Any]
            let attributes = resource?["attributes"] as? [[String: Any]] ?? []
            let service = attributes.first { $0["key"] as? String == "service.name" }
            let serviceName = (service?["value"] as? [String: Any])?["stringValue"] as? String
            for scopeSpans in resourceSpans["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scopeSpans["spans"] as? [[String: Any]] ?? [] {
                    spans.append(
                        Span(
                            name: span["name"] as? String ?? "",
                            kind: span["kind"] as? Int ?? 0,
                            traceID: Self.hex(span["traceId"]),
                            spanID: Self.hex(span["spanId"]),
                            parentSpanID: Self.hex(span["parentSpanId"]),
                            serviceName: serviceName))
                }
            }
        }
        return spans
    }

    /// An id as lowercase hex, from hex or base64.
    private static func hex(_ value: Any?) -> String {
        guard let text = value as? String, !text.isEmpty else { return "" }
        let isHex = (text.count == 32 || text.count == 16) && text.allSatisfy(\.isHexDigit)
        if isHex { return text.lowercased() }
        guard let bytes = Data(base64Encoded: text) else { return text }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}
