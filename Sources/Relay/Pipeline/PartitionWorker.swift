/// The structured home of one assigned partition's record work: each record is a child task
/// of the worker's task group, and the worker is a child of ``RelayPipeline/run()``, so no
/// record's task outlives the pipeline. Abandoning a revoked partition's work cancels the
/// group, which reaches every delivery of that partition and none of the others.
///
/// Commands reach the worker through an ``AsyncInbox`` rather than an `AsyncStream` (whose
/// generic storage cost about 2% of the relay's CPU: a yield and a next per record).
final class PartitionWorker: Sendable {
    /// What the worker is told.
    enum Command: Sendable {
        /// Work on this record (it holds a window slot).
        case start(RelayWorkItem)
        /// Cancel every record's work (it ends unsettled and is redelivered later).
        case abandon
    }

    /// The commands not taken yet; the worker's cancellation drops them.
    private let inbox = AsyncInbox<Command>(endsOnCancellation: true)

    /// Creates an idle worker; ``run(_:)`` serves it.
    init() {}

    /// Hands a record over.
    ///
    /// - Returns: `false` when the worker has finished: the record will never be worked on.
    func start(_ item: RelayWorkItem) -> Bool {
        self.inbox.send(.start(item))
    }

    /// Cancels the work of every record handed over so far.
    func abandon() {
        _ = self.inbox.send(.abandon)
    }

    /// Takes no more records; ``run(_:)`` returns once the commands already handed over are
    /// taken and the running records end.
    func finish() {
        self.inbox.close()
    }

    /// Works on each record handed over with `process` until ``finish()`` (or until the
    /// worker's task is cancelled: what was not taken then is dropped, as an `AsyncStream`
    /// iterated by a cancelled task drops it).
    func run(_ process: @escaping @Sendable (RelayWorkItem) async -> Void) async {
        await withDiscardingTaskGroup { group in
            while let command = await self.inbox.next() {
                switch command {
                case .start(let item): group.addTask { await process(item) }
                case .abandon: group.cancelAll()
                }
            }
        }
    }
}
