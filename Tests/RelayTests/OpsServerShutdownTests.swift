import Logging
import Relay
import ServiceLifecycle
import Testing

/// The ops server through a shutdown: listed first among the relay's services, it is told to
/// stop only after the services behind it (the pipeline's drain) have stopped, so the probes
/// answer throughout the drain.
@Suite struct OpsServerShutdownTests {
    /// Stands in for the pipeline: on graceful shutdown it marks the relay draining, reports
    /// that it started draining, and takes a while to finish.
    struct DrainingService: Service {
        let health: RelayHealth
        let drainStarted: AsyncStream<Void>.Continuation
        let drainEnds: AsyncStream<Void>

        func run() async throws {
            try? await gracefulShutdown()
            self.health.draining()
            self.drainStarted.yield()
            for await _ in self.drainEnds { break }
        }
    }

    @Test func answersThroughTheDrainAndStopsAfterIt() async throws {
        let harness = OpsHarness()
        harness.health.assigned(partitions: 2)
        let (ports, portsContinuation) = AsyncStream.makeStream(of: Int.self)
        let (drainStarts, drainStarted) = AsyncStream.makeStream(of: Void.self)
        let (drainEnds, drainEnd) = AsyncStream.makeStream(of: Void.self)
        let group = ServiceGroup(
            services: [
                harness.makeServer(ports: portsContinuation),
                DrainingService(health: harness.health, drainStarted: drainStarted, drainEnds: drainEnds),
            ],
            logger: Logger(label: "ops-test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let running = Task { try await group.run() }

        var portIterator = ports.makeAsyncIterator()
        let port = try #require(await portIterator.next())
        let base = "http://127.0.0.1:\(port)"
        #expect(try await OpsHarness.get("\(base)/readyz").status == 200)

        await group.triggerGracefulShutdown()
        var drainIterator = drainStarts.makeAsyncIterator()
        _ = await drainIterator.next()
        // Give a server that (wrongly) stopped first time to close its listener.
        try await Task.sleep(for: .milliseconds(300))

        #expect(try await OpsHarness.get("\(base)/healthz").status == 200)
        let readiness = try await OpsHarness.get("\(base)/readyz")
        #expect(readiness.status == 503)
        #expect(try readiness.json()["draining"] as? Bool == true)
        #expect(try await OpsHarness.get("\(base)/metrics").status == 200)

        // The drain ends: now the ops server stops too, and the group with it.
        drainEnd.yield()
        try await running.value
        #expect(!OpsHarness.acceptsConnections(port: port))
    }
}
