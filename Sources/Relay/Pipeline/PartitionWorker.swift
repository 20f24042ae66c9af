/// The structured home of one assigned partition's record work: each record is a child task
/// of the worker's task group, and the worker is a child of ``RelayPipeline/run()``, so no
/// record's task outlives the pipeline. Abandoning a revoked partition's work cancels the
/// group, which reaches every delivery of that partition and none of the others.
final class PartitionWorker: Sendable {
    /// What the worker is told.
    enum Command: Sendable {
        /// Work on this record (it holds a window slot).
        case start(RelayWorkItem)
        /// Cancel every record's work (it ends unsettled and is redelivered later).
        case abandon
    }

    private let commands: AsyncStream<Command>
    private let sink: AsyncStream<Command>.Continuation

    /// Creates an idle worker; ``run(_:)`` serves it.
    init() {
        (self.commands, self.sink) = AsyncStream.makeStream(of: Command.self)
    }

    /// Hands a record over.
    ///
    /// - Returns: `false` when the worker has finished: the record will never be worked on.
    func start(_ item: RelayWorkItem) -> Bool {
        if case .terminated = self.sink.yield(.start(item)) { return false }
        return true
    }

    /// Cancels the work of every record handed over so far.
    func abandon() {
        self.sink.yield(.abandon)
    }

    /// Takes no more records; ``run(_:)`` returns once the running ones end.
    func finish() {
        self.sink.finish()
    }

    /// Works on each record handed over with `process` until ``finish()``.
    func run(_ process: @escaping @Sendable (RelayWorkItem) async -> Void) async {
        await withDiscardingTaskGroup { group in
            for await command in self.commands {
                switch command {
                case .start(let item): group.addTask { await process(item) }
                case .abandon: group.cancelAll()
                }
            }
        }
    }
}
