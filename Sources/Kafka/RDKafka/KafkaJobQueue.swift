/// A queue of jobs that run on a thread the Kafka module owns (the worker ``KafkaThread`` or
/// the consumer's poll thread through ``RDKafkaPollJobs``), so blocking librdkafka calls never
/// run on Swift's cooperative pool.
protocol KafkaJobQueue: Sendable {
    /// Enqueues `job`; `false` once the queue is closed, and the job will never run.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool
}

extension KafkaJobQueue {
    /// Runs `body` on the queue's thread and returns its result to the awaiting task.
    ///
    /// - Important: The continuation is resumed exactly once: by the job, or at once with a
    ///   closed error when the queue no longer accepts jobs.
    /// - Throws: ``KafkaError`` from `body`, or a closed error once the queue is closed.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            let accepted = submit {
                do throws(KafkaError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            if !accepted { continuation.resume(returning: .failure(.closed())) }
        }
        return try result.get()
    }
}
