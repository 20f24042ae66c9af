import DequeModule
import Synchronization

/// The structured home of one assigned partition's record work: each record is a child task
/// of the worker's task group, and the worker is a child of ``RelayPipeline/run()``, so no
/// record's task outlives the pipeline. Abandoning a revoked partition's work cancels the
/// group, which reaches every delivery of that partition and none of the others.
///
/// Commands reach the worker through an inbox of its own (a lock, a queue and at most one
/// waiting continuation) rather than an `AsyncStream`: the stream's generic storage, called
/// from the relay's module, cost about 2% of the relay's CPU in profiles (a yield and a next
/// per record, with the runtime's generic-metadata lookups in each).
final class PartitionWorker: Sendable {
    /// What the worker is told.
    enum Command: Sendable {
        /// Work on this record (it holds a window slot).
        case start(RelayWorkItem)
        /// Cancel every record's work (it ends unsettled and is redelivered later).
        case abandon
    }

    /// Commands not taken yet, the worker's loop when it waits for one, and whether it ended.
    private struct Inbox: Sendable {
        var commands: Deque<Command> = []
        var waiter: UnsafeContinuation<Command?, Never>?
        /// No command is taken any more: finished, or the worker's task was cancelled.
        var closed = false
    }

    private let inbox = Mutex(Inbox())

    /// Creates an idle worker; ``run(_:)`` serves it.
    init() {}

    /// Hands a record over.
    ///
    /// - Returns: `false` when the worker has finished: the record will never be worked on.
    func start(_ item: RelayWorkItem) -> Bool {
        self.send(.start(item))
    }

    /// Cancels the work of every record handed over so far.
    func abandon() {
        _ = self.send(.abandon)
    }

    /// Takes no more records; ``run(_:)`` returns once the commands already handed over are
    /// taken and the running records end.
    func finish() {
        let waiter = self.inbox.withLock { inbox -> UnsafeContinuation<Command?, Never>? in
            inbox.closed = true
            defer { inbox.waiter = nil }
            return inbox.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Works on each record handed over with `process` until ``finish()`` (or until the
    /// worker's task is cancelled: what was not taken then is dropped, as an `AsyncStream`
    /// iterated by a cancelled task drops it).
    func run(_ process: @escaping @Sendable (RelayWorkItem) async -> Void) async {
        await withDiscardingTaskGroup { group in
            while let command = await self.next() {
                switch command {
                case .start(let item): group.addTask { await process(item) }
                case .abandon: group.cancelAll()
                }
            }
        }
    }

    /// Queues `command`, or hands it straight to the waiting loop.
    private func send(_ command: Command) -> Bool {
        let (accepted, waiter) = self.inbox.withLock { inbox -> (Bool, UnsafeContinuation<Command?, Never>?) in
            guard !inbox.closed else { return (false, nil) }
            if let waiter = inbox.waiter {
                inbox.waiter = nil
                return (true, waiter)
            }
            inbox.commands.append(command)
            return (true, nil)
        }
        waiter?.resume(returning: command)
        return accepted
    }

    /// The next command; `nil` once finished and emptied, or once the task is cancelled.
    private func next() async -> Command? {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Command?, Never>) in
                let taken = self.inbox.withLock { inbox -> Command?? in
                    if Task.isCancelled {
                        inbox.closed = true
                        inbox.commands.removeAll()
                        return .some(nil)
                    }
                    if let command = inbox.commands.popFirst() { return .some(command) }
                    if inbox.closed { return .some(nil) }
                    inbox.waiter = continuation
                    return .none
                }
                if case .some(let command) = taken { continuation.resume(returning: command) }
            }
        } onCancel: {
            // Closes the inbox and wakes a waiting loop with the end.
            self.finish()
        }
    }
}
