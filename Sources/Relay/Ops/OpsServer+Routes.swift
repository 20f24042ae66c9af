import Foundation
import Hummingbird
import NIOCore

extension OpsServer {
    /// The content type Prometheus expects for the text exposition format.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The JSON body of `/healthz`.
    struct Liveness: Encodable {
        /// `ok` or `fatal`.
        var status: String
        /// The fatal error, when there is one.
        var reason: String?
    }

    /// The JSON body of `/readyz`: the whole snapshot, so a 503 says why.
    struct Readiness: Encodable {
        var status: String
        var joinedGroup: Bool
        var assignedPartitions: Int
        var systemicFailure: String?
        var draining: Bool
        var fatal: String?
        var heldPartitions: String?

        enum CodingKeys: String, CodingKey {
            case status
            case joinedGroup = "joined_group"
            case assignedPartitions = "assigned_partitions"
            case systemicFailure = "systemic_failure"
            case draining
            case fatal
            case heldPartitions = "held_partitions"
        }

        init(_ snapshot: RelayHealth.Snapshot) {
            self.status = snapshot.isReady ? "ready" : "not_ready"
            self.joinedGroup = snapshot.joinedGroup
            self.assignedPartitions = snapshot.assignedPartitions
            self.systemicFailure = snapshot.systemicFailure
            self.draining = snapshot.draining
            self.fatal = snapshot.fatal
            self.heldPartitions = snapshot.heldPartitions
        }

        /// Writes absent reasons as `null` rather than leaving the keys out, so the body always
        /// shows every condition readiness depends on.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.status, forKey: .status)
            try container.encode(self.joinedGroup, forKey: .joinedGroup)
            try container.encode(self.assignedPartitions, forKey: .assignedPartitions)
            try container.encode(self.systemicFailure, forKey: .systemicFailure)
            try container.encode(self.draining, forKey: .draining)
            try container.encode(self.fatal, forKey: .fatal)
            try container.encode(self.heldPartitions, forKey: .heldPartitions)
        }
    }

    /// Registers `/healthz`, `/readyz` and `/metrics`; the router answers 404 to anything else.
    func addRoutes(to router: Router<BasicRequestContext>) {
        let health = self.health
        let telemetry = self.telemetry
        router.get("healthz") { _, _ -> Response in
            let snapshot = health.snapshot
            let body = Liveness(status: snapshot.isLive ? "ok" : "fatal", reason: snapshot.fatal)
            return Self.json(body, status: snapshot.isLive ? .ok : .serviceUnavailable)
        }
        router.get("readyz") { _, _ -> Response in
            let snapshot = health.snapshot
            return Self.json(Readiness(snapshot), status: snapshot.isReady ? .ok : .serviceUnavailable)
        }
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: Self.metricsContentType],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: telemetry.expositionBytes()))
            )
        }
    }

    /// A JSON response; encoding these plain structs cannot fail, so a failure is a 500.
    static func json(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else {
            return Response(status: .internalServerError)
        }
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(data)))
        )
    }
}
