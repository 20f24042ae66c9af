import Foundation

/// Runs blocking work (a child's pipes, `waitUntilExit`) on a thread of its own and awaits it.
///
/// Why: every suite runs in one test process whose cooperative pool has one thread per core, two
/// here. A test that blocks a pool thread on a child process for seconds halves, or stops, every
/// other test's tasks: consumers stop delivering and HTTP requests miss their deadlines in tests
/// that have nothing wrong with them.
func offThePool<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Swift.Result { try body() })
        }
    }
}

/// A child's exit status, awaited without blocking the cooperative pool.
extension Process {
    /// Waits for the exit on a thread of its own.
    func exited() async {
        _ = try? await offThePool { self.waitUntilExit() }
    }
}
