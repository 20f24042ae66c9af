import Foundation
import Logging
import Relay
import Testing

/// The probes over loopback: what the kubelet and an operator see.
@Suite struct OpsServerTests {
    @Test func healthzIsOKWhileLiveAnd503WithTheReasonOnceFatal() async throws {
        let harness = OpsHarness()
        try await harness.with { base in
            let live = try await OpsHarness.get("\(base)/healthz")
            #expect(live.status == 200)
            #expect(live.contentType == "application/json")
            #expect(try live.json()["status"] as? String == "ok")

            harness.health.fatal("kafka fatal error: fenced")
            let dead = try await OpsHarness.get("\(base)/healthz")
            #expect(dead.status == 503)
            #expect(try dead.json()["reason"] as? String == "kafka fatal error: fenced")
        }
    }

    @Test func readyzFollowsAssignmentSystemicFailureAndDraining() async throws {
        let harness = OpsHarness()
        try await harness.with { base in
            let before = try await OpsHarness.get("\(base)/readyz")
            #expect(before.status == 503)
            #expect(try before.json()["joined_group"] as? Bool == false)

            harness.health.assigned(partitions: 3)
            let ready = try await OpsHarness.get("\(base)/readyz")
            #expect(ready.status == 200)
            #expect(try ready.json()["status"] as? String == "ready")
            #expect(try ready.json()["assigned_partitions"] as? Int == 3)
            #expect(try ready.json()["systemic_failure"] is NSNull)

            harness.health.systemicFailure("401 bad_signature")
            let failing = try await OpsHarness.get("\(base)/readyz")
            #expect(failing.status == 503)
            #expect(try failing.json()["systemic_failure"] as? String == "401 bad_signature")
            // Liveness is unaffected: restarting the pod would not fix a wrong secret.
            #expect(try await OpsHarness.get("\(base)/healthz").status == 200)

            harness.health.systemicFailure(nil)
            #expect(try await OpsHarness.get("\(base)/readyz").status == 200)

            harness.health.draining()
            let draining = try await OpsHarness.get("\(base)/readyz")
            #expect(draining.status == 503)
            #expect(try draining.json()["draining"] as? Bool == true)
        }
    }

    @Test func unknownPathsAre404() async throws {
        try await OpsHarness().with { (base: String) async throws in
            #expect(try await OpsHarness.get("\(base)/").status == 404)
            #expect(try await OpsHarness.get("\(base)/health").status == 404)
            #expect(try await OpsHarness.get("\(base)/metrics/extra").status == 404)
        }
    }

    @Test func stopsWhenItsTaskIsCancelled() async throws {
        let harness = OpsHarness()
        var base = ""
        try await harness.with { (url: String) async throws in
            base = url
            #expect(try await OpsHarness.get("\(url)/healthz").status == 200)
        }
        // `with` returned, so `run()` returned after cancellation; the port no longer answers.
        let port = try #require(base.split(separator: ":").last.flatMap { Int($0) })
        #expect(!OpsHarness.acceptsConnections(port: port))
    }

    @Test func runThrowsWhenThePortIsTaken() async throws {
        try await OpsHarness().with { (base: String) async throws in
            let port = try #require(base.split(separator: ":").last.flatMap { Int($0) })
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let second = OpsServer(
                host: "127.0.0.1",
                port: port,
                health: RelayHealth(),
                telemetry: RelayTelemetry(),
                logger: Logger(label: "ops-test", factory: { _ in SwiftLogNoOpLogHandler() }),
                onListening: { continuation.yield($0) }
            )
            await #expect(throws: (any Error).self) { try await second.run() }
            continuation.finish()
            #expect(await ports.first { _ in true } == nil)
        }
    }
}
