import Dispatch
import Synchronization

/// What a ``KafkaConsumer`` delivers, in order, through ``KafkaConsumer/events``.
public enum KafkaConsumerEvent: Sendable {
    /// A record.
    case message(KafkaConsumerMessage)
    /// The group gave this consumer these partitions (incrementally, with cooperative-sticky).
    case assigned([KafkaTopicPartition])
    /// The group is taking these partitions away. Settle and commit what you processed from
    /// them, then call ``KafkaRevocation/complete()``; the partitions are released after that
    /// (or after ``KafkaConsumerConfiguration/revocationTimeout``). Buffered records of these
    /// partitions are dropped: the next owner reads them from the committed offset. Once
    /// released, commits for these partitions are refused (`_STATE`) until they are assigned
    /// to this consumer again. Delivered ahead of the records still buffered for other
    /// partitions (which follow it in order), never ahead of an earlier rebalance event.
    case revoked(KafkaRevocation)
}

/// A revocation of partitions that waits for the caller to settle before they are released.
///
/// The poll thread waits inside librdkafka's rebalance callback, so no records are fetched
/// until ``complete()`` is called or the timeout passes; commits still run (on the worker
/// thread). During ``KafkaConsumer/close()`` revocations complete at once.
public struct KafkaRevocation: Sendable {
    /// The partitions being revoked.
    public let partitions: [KafkaTopicPartition]
    /// Whether the partitions were lost (the member was evicted): committing for them fails,
    /// and the poll thread does not wait for ``complete()``.
    public let isLost: Bool
    private let completion: Completion

    init(partitions: [KafkaTopicPartition], isLost: Bool, completed: Bool) {
        self.partitions = partitions
        self.isLost = isLost
        self.completion = Completion()
        if completed { completion.complete() }
    }

    /// Tells the consumer that everything from these partitions is settled and committed, so
    /// they may be released. Idempotent.
    public func complete() { completion.complete() }

    /// Waits (on the poll thread) until completed or the timeout passes; returns whether completed.
    func wait(timeout: Duration) -> Bool {
        KafkaThread.preconditionOnModuleThread()
        return completion.wait(timeout: timeout)
    }

    /// A one-shot completion signal shared by copies of the revocation.
    private final class Completion: Sendable {
        private let done = Atomic<Bool>(false)
        private let semaphore = DispatchSemaphore(value: 0)

        func complete() {
            if !done.exchange(true, ordering: .acquiringAndReleasing) { semaphore.signal() }
        }

        func wait(timeout: Duration) -> Bool {
            let ns = UInt64(max(0, Int64(timeout.rdMilliseconds))) * 1_000_000
            return semaphore.wait(timeout: .now() + .nanoseconds(Int(ns))) == .success
        }
    }
}
