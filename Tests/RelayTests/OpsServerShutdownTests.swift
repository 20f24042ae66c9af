import Logging
import Relay
import ServiceLifecycle
import Testing

/// The ops server through a shutdown: the probes answer while the relay drains, and stop only
/// when the server's task is cancelled.
@Suite struct OpsServerShutdownTests {
    /// Runs the ops server as a service and reports when it has been told to shut down gracefully
    /// (the same signal the server itself would receive if it followed graceful shutdown).
    struct ObservedOpsServer: Service {
        let server: OpsServer
        let shutdownSeen: AsyncStream<Void>.Continuation

        func run() async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.server.run() }
                group.addTask {
                    try? await gracefulShutdown()
                    self.shutdownSeen.yield()
                    self.shutdownSeen.finish()
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func keepsAnsweringAfterGracefulShutdownAndStopsOnCancellation() async throws {
        let harness = OpsHarness()
        harness.health.assigned(partitions: 2)
        let (ports, portsContinuation) = AsyncStream.makeStream(of: Int.self)
        let (shutdowns, shutdownsContinuation) = AsyncStream.makeStream(of: Void.self)
        let group = ServiceGroup(
            services: [
                ObservedOpsServer(
                    server: harness.makeServer(ports: portsContinuation), shutdownSeen: shutdownsContinuation)
            ],
            logger: Logger(label: "ops-test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let running = Task { try await group.run() }

        var portIterator = ports.makeAsyncIterator()
        let port = try #require(await portIterator.next())
        let base = "http://127.0.0.1:\(port)"
        #expect(try await OpsHarness.get("\(base)/readyz").status == 200)

        // The relay marks itself draining and its service group begins the graceful shutdown.
        harness.health.draining()
        await group.triggerGracefulShutdown()
        var shutdownIterator = shutdowns.makeAsyncIterator()
        _ = await shutdownIterator.next()
        // Give a server that (wrongly) followed the signal time to close its listener.
        try await Task.sleep(for: .milliseconds(300))

        #expect(try await OpsHarness.get("\(base)/healthz").status == 200)
        let readiness = try await OpsHarness.get("\(base)/readyz")
        #expect(readiness.status == 503)
        #expect(try readiness.json()["draining"] as? Bool == true)
        #expect(try await OpsHarness.get("\(base)/metrics").status == 200)

        // The relay cancels the server once the pipeline has drained.
        running.cancel()
        try await running.value
        #expect(!OpsHarness.acceptsConnections(port: port))
    }
}
