import Foundation
import Hummingbird
import NIOCore
import ReferralKit

extension SandboxServer {
    /// The events route plus the `/_sandbox/…` operations routes.
    func addRoutes(to router: Router<SandboxRequestContext>) {
        let store = self.store
        let clock = self.clock
        let logger = self.logger
        router.post("/api/referral/events") { request, context in
            let received = try await Self.capture(request, context: context)
            let serverID = Self.serverID(in: received.body)
            let (fault, latency) = store.withState { ($0.arrive(serverID: serverID), $0.faults.latencyMilliseconds) }
            defer { store.withState { $0.depart() } }
            // A shed request is answered at once: the server refuses what it cannot take.
            if latency > 0, fault?.verdict != .faultOverload {
                try await Task.sleep(for: .milliseconds(latency))
            }
            let now = clock.now()
            let time = Date().timeIntervalSince1970
            let reply = store.withState { state in
                if let fault {
                    state.record(received, reply: fault, event: nil, time: time)
                    return fault
                }
                let (reply, event) = state.receive(received, now: now)
                state.record(received, reply: reply, event: event, time: time)
                return reply
            }
            logger.debug(
                "sandbox answered",
                metadata: [
                    SandboxLogMetadata.status: "\(reply.status)",
                    SandboxLogMetadata.verdict: "\(reply.verdict.rawValue)",
                ]
            )
            if reply.dropsConnection {
                // Closing before anything is written is what a crashed or reset peer looks like:
                // the client sees a transport failure (status 0), never an HTTP status.
                try? await context.channel.close()
            }
            return Self.response(reply)
        }
        router.get("/_sandbox/log") { _, _ in try Self.json(store.log) }
        router.get("/_sandbox/stats") { _, _ in try Self.json(store.stats) }
        router.get("/_sandbox/faults") { _, _ in try Self.json(store.faults) }
        router.put("/_sandbox/faults") { request, context in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            do {
                let faults = try JSONDecoder().decode(SandboxFaults.self, from: Data(body.readableBytesView))
                try store.setFaults(faults)
                return try Self.json(store.faults)
            } catch let error as SandboxError {
                return Self.response(.error(400, error.reason, .invalidBody))
            } catch {
                return Self.response(.error(400, "faults body is not valid JSON", .invalidBody))
            }
        }
        router.post("/_sandbox/reset") { _, _ in
            store.reset()
            return Self.response(SandboxReply(status: 200, body: "{\"ok\":true}", verdict: .accepted))
        }
    }

    /// The `server_id` a request body names, for faults aimed at one server (a plain scan: the
    /// body is parsed properly later, and a body without one is simply not matched).
    static func serverID(in body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let range = text.range(of: "\"server_id\":\"") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Reads the request with its raw body bytes exactly as received.
    private static func capture(_ request: Request, context: SandboxRequestContext) async throws -> SandboxRequest {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return SandboxRequest(
            method: request.method.rawValue,
            path: request.uri.path,
            headers: request.headers.map { SandboxRequest.Header(name: $0.name.rawName, value: $0.value) },
            body: Array(body.readableBytesView)
        )
    }

    private static func response(_ reply: SandboxReply) -> Response {
        var headers: HTTPFields = [.contentType: reply.contentType]
        if let retryAfter = reply.retryAfter {
            headers[.retryAfter] = retryAfter
        }
        return Response(
            status: HTTPResponse.Status(code: reply.status == 0 ? 500 : reply.status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body))
        )
    }

    private static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(data)))
        )
    }
}
