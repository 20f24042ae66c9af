import Hummingbird
import Logging
import ServiceLifecycle
import Testing

/// Runs a throwaway Hummingbird router on 127.0.0.1 with a port picked by the kernel, for client
/// tests that need a peer misbehaving in ways the sandbox never does (redirects, stalls).
enum LoopbackServer {
    /// Serves `router` while `body` runs with the base URL (`http://127.0.0.1:<port>`), then stops.
    ///
    /// - Throws: What `body` throws, or when the server never reports its port.
    static func with(_ router: Router<BasicRequestContext>, _ body: (String) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }
        )
        // Stopped with a graceful shutdown: cancelling a server that still has clients traps in NIO.
        let services = ServiceGroup(
            configuration: .init(
                services: [application], logger: Logger(label: "loopback", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body("http://127.0.0.1:\(port)")
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
        }
    }
}
