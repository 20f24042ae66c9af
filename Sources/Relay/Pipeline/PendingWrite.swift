import Synchronization

/// A `pending` record being written for a slow `registered` by
/// ``RelayPipeline/slowRegistrationLoop()``, as its delivery's task sees it: the delivery's
/// ending waits until it is ``written``; a delivery that ends without an ending (failed,
/// cancelled by a revocation or the drain) ``abandon()``s it, and no attempt starts after that
/// (the one under way is not withdrawn), as when the write was the delivery's own child task
/// and was cancelled with it.
final class PendingWrite: Sendable {
    /// Resolved once the write ended (written, given up or abandoned).
    let written = OneShot<Void>()
    private let abandoned = Atomic<Bool>(false)

    /// Creates a write not yet started.
    init() {}

    /// The delivery will write no ending: the write need not be retried any more.
    func abandon() { self.abandoned.store(true, ordering: .relaxed) }

    /// Whether ``abandon()`` was called.
    var isAbandoned: Bool { self.abandoned.load(ordering: .relaxed) }

    /// Waits until the write ended; cancelled while it goes on, abandons it and throws within
    /// 100 ms (the caller's record ends unsettled and is read again; a waiting record must not
    /// hold a revocation up for a write retrying through a Kafka outage).
    ///
    /// - Throws: `CancellationError`.
    func waitUntilWritten() async throws {
        while case .none = await self.written.value(within: .milliseconds(100)) {
            if Task.isCancelled {
                self.abandon()
                throw CancellationError()
            }
        }
    }
}
