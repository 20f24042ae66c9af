import Kafka
import Synchronization

/// Why records cannot be published right now, by source partition: what `/readyz` names when a
/// partition is held for long. Written by ``OutcomePublisher`` while it retries a record,
/// cleared once that record's publish ends.
final class PublishProblems: Sendable {
    private struct Problem: Sendable {
        var offset: Int64
        var description: String
    }

    private let problems = Mutex<[KafkaTopicPartition: Problem]>([:])

    /// Records that publishing for the record at `offset` of `partition` is failing.
    func record(_ partition: KafkaTopicPartition, offset: Int64, _ description: String) {
        self.problems.withLock { $0[partition] = Problem(offset: offset, description: description) }
    }

    /// Clears the problem of the record at `offset`, if it is the one recorded.
    func clear(_ partition: KafkaTopicPartition, offset: Int64) {
        self.problems.withLock { problems in
            if problems[partition]?.offset == offset { problems[partition] = nil }
        }
    }

    /// The problem recorded for the record at `offset` of `partition`, if any.
    func problem(_ partition: KafkaTopicPartition, offset: Int64) -> String? {
        self.problems.withLock { problems in
            problems[partition].flatMap { $0.offset == offset ? $0.description : nil }
        }
    }
}
