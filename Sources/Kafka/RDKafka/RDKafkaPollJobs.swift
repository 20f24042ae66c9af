import Synchronization

/// Work that must run on a consumer's poll thread, between two polls, so it cannot race the
/// hand-off of polled records into the buffer (seek: move the position and drop stale
/// buffered records atomically with respect to delivery).
final class RDKafkaPollJobs: KafkaJobQueue {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var closed = false
    }

    private let state = Mutex(State())
    /// Rung when a job is queued, so a sleeping poll thread runs it at once.
    private let wakeup: RDKafkaWakeup?

    /// Creates the queue; `wakeup` is the poll thread's doorbell, if it sleeps on one.
    init(wakeup: RDKafkaWakeup? = nil) {
        self.wakeup = wakeup
    }

    /// Enqueues a job; `false` once the poll thread has finished.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { state in
            guard !state.closed else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { wakeup?.signal() }
        return accepted
    }

    /// Runs the queued jobs (poll thread only).
    func runPending() {
        let jobs = state.withLock { state in
            defer { state.jobs = [] }
            return state.jobs
        }
        for job in jobs { job() }
    }

    /// Stops accepting jobs and runs what is queued (poll thread, before the handle goes).
    func close() {
        state.withLock { $0.closed = true }
        runPending()
    }
}
