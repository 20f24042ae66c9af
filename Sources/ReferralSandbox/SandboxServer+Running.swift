import Logging
import ReferralKit
import ServiceLifecycle

extension SandboxServer {
    /// Starts a sandbox, runs `body` with it and its bound address, then stops it with a
    /// graceful shutdown and returns what `body` returned.
    ///
    /// Never stop a sandbox by cancelling its task while clients may still connect: NIO traps
    /// ("Deinited NIOAsyncWriter without calling finish()") when a cancelled server drops a
    /// connection it accepted but had not served yet (apple/swift-nio#2637, #3481).
    ///
    /// - Throws: What `body` throws, or a ``SandboxError`` when the sandbox could not bind.
    public static func withRunning<Result: Sendable>(
        configuration: SandboxConfiguration,
        clock: ReferralClock = .system,
        logger: Logger = Logger(label: "referral-sandbox", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: (SandboxServer, SandboxAddress) async throws -> Result
    ) async throws -> Result {
        let (addresses, listening) = AsyncStream.makeStream(of: SandboxAddress.self)
        let server = SandboxServer(configuration: configuration, clock: clock, logger: logger) { address in
            listening.yield(address)
            listening.finish()
        }
        let services = ServiceGroup(configuration: .init(services: [server], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { tasks in
            tasks.addTask {
                // A failed bind must end the wait for the address below, not hang it.
                defer { listening.finish() }
                try await services.run()
            }
            var iterator = addresses.makeAsyncIterator()
            guard let address = await iterator.next() else {
                try await tasks.waitForAll()
                throw SandboxError(.bindFailed, reason: "sandbox stopped before listening")
            }
            let result: Result
            do {
                result = try await body(server, address)
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
