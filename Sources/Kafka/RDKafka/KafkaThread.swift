import Dispatch
import Foundation
import Synchronization

/// A thread the Kafka module owns, serving a FIFO queue of jobs that may block in librdkafka.
///
/// Every blocking librdkafka call (poll, flush, synchronous commit, committed-offset and
/// watermark queries, offsets-for-times, close, destroy) runs on a `KafkaThread` or on a
/// client's poll thread, never on the Swift concurrency cooperative pool. Both kinds of thread
/// carry a thread-local marker that ``KafkaThread/preconditionOnModuleThread(_:)`` checks.
final class KafkaThread: KafkaJobQueue {
    private static let markerKey = "swift-kafka.module-thread"

    /// Whether the current thread was started by the Kafka module.
    static var isCurrentModuleThread: Bool {
        Thread.current.threadDictionary[markerKey] != nil
    }

    /// Traps when a blocking librdkafka call is made off the module's threads.
    static func preconditionOnModuleThread(_ function: StaticString = #function) {
        precondition(isCurrentModuleThread, "blocking librdkafka call \(function) off the Kafka module's threads")
    }

    /// Starts a detached, marked thread running `body` once.
    static func detach(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            Thread.current.threadDictionary[markerKey] = true
            body()
        }
        thread.name = name
        thread.start()
    }

    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopping = false
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// Starts the thread.
    init(name: String) {
        Self.detach(name: name) { [self] in self.loop() }
    }

    private func loop() {
        while true {
            let next: (job: (@Sendable () -> Void)?, stop: Bool) = state.withLock { state in
                if !state.jobs.isEmpty { return (state.jobs.removeFirst(), false) }
                return (nil, state.stopping)
            }
            if let job = next.job {
                job()
            } else if next.stop {
                break
            } else {
                wakeup.wait()
            }
        }
        exited.signal()
    }

    /// Enqueues a job; returns `false` (and drops it) once the thread is stopping.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { state in
            guard !state.stopping else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    /// Stops accepting jobs, lets queued jobs finish, and waits for the thread to exit.
    ///
    /// - Important: Blocks; call only from another module thread, never from this one.
    func stopAndJoin() {
        Self.preconditionOnModuleThread()
        stop()
        exited.wait()
    }

    /// Stops accepting jobs; queued jobs still run. Does not wait.
    func stop() {
        state.withLock { $0.stopping = true }
        wakeup.signal()
    }
}
