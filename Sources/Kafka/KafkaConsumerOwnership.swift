import Foundation
import Synchronization

/// The partitions a consumer may no longer commit for, so that no commit reaches the group
/// coordinator after a revoked partition was handed back (where it would overwrite the progress
/// of the partition's next owner: the coordinator checks the member's generation, not which
/// partitions it owns).
///
/// The rebalance handler (poll thread) calls ``release(_:drainTimeout:)`` after the revocation
/// completed or timed out and before the partitions are unassigned; commits (worker thread)
/// bracket the librdkafka call with ``beginCommit(_:)`` and ``endCommit(_:)``. Both sides take
/// the same lock, so a commit either started before the release (and the release waits for it,
/// bounded) or is refused. A later assignment of the partition lifts the refusal.
final class KafkaConsumerOwnership: Sendable {
    private struct State {
        var released: Set<KafkaTopicPartition> = []
        var inFlight: [KafkaTopicPartition: Int] = [:]
    }

    private let state = Mutex(State())

    /// The partitions were (re)assigned to this consumer: commits for them are allowed again.
    func assigned(_ partitions: [KafkaTopicPartition]) {
        state.withLock { $0.released.subtract(partitions) }
    }

    /// Registers a commit for `partitions`; pair with ``endCommit(_:)``.
    ///
    /// - Throws: ``KafkaError`` (`_STATE`, not retriable) naming a partition that was revoked.
    func beginCommit(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let refused: KafkaTopicPartition? = state.withLock { state in
            if let revoked = partitions.first(where: { state.released.contains($0) }) { return revoked }
            for partition in partitions { state.inFlight[partition, default: 0] += 1 }
            return nil
        }
        if let refused {
            throw KafkaError(
                code: .state,
                reason: "commit \(refused): the partition was revoked from this consumer; its next owner commits it"
            )
        }
    }

    /// Ends a commit registered with ``beginCommit(_:)``.
    func endCommit(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            for partition in partitions {
                let count = state.inFlight[partition, default: 0] - 1
                state.inFlight[partition] = count > 0 ? count : nil
            }
        }
    }

    /// Refuses commits for `partitions` from now on, then waits up to `drainTimeout` for the
    /// commits already running for them to finish.
    ///
    /// - Returns: whether no commit for them was still running.
    /// - Important: Blocks; call on the poll thread, from the rebalance callback.
    func release(_ partitions: [KafkaTopicPartition], drainTimeout: Duration) -> Bool {
        let released = Set(partitions)
        state.withLock { $0.released.formUnion(released) }
        let deadline = ContinuousClock.now + drainTimeout
        while true {
            let busy = state.withLock { state in released.contains { state.inFlight[$0] != nil } }
            if !busy { return true }
            if ContinuousClock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.002)
        }
    }
}
