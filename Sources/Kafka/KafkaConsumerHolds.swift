import Synchronization

/// The partitions the caller asked the consumer not to deliver for now
/// (``KafkaConsumer/pause(_:)``), read by the poll thread on every turn.
///
/// A hold never reaches librdkafka: the poll thread simply does not read the partition's queue
/// (see ``RDKafkaPartitionQueues``), and librdkafka stops fetching it once its prefetch limit is
/// reached. Lifting a hold therefore cannot rewind the partition, unlike
/// `rd_kafka_resume_partitions` in librdkafka 2.0.2. Holds belong to the assignment: a
/// partition that leaves it is no longer held.
final class KafkaConsumerHolds: Sendable {
    private let held = Mutex<Set<KafkaTopicPartition>>([])

    /// The partitions held now.
    var current: Set<KafkaTopicPartition> { self.held.withLock { $0 } }

    /// Holds `partitions`.
    func hold(_ partitions: [KafkaTopicPartition]) {
        self.held.withLock { $0.formUnion(partitions) }
    }

    /// Holds exactly `partitions`.
    ///
    /// - Returns: Whether a hold was lifted (the poll thread should look again).
    func set(_ partitions: Set<KafkaTopicPartition>) -> Bool {
        self.held.withLock { held in
            let lifted = !held.isSubset(of: partitions)
            held = partitions
            return lifted
        }
    }

    /// Lifts the hold of `partitions`.
    ///
    /// - Returns: Whether any of them was held (the poll thread should look again).
    func release(_ partitions: some Sequence<KafkaTopicPartition>) -> Bool {
        self.held.withLock { held in
            let before = held.count
            held.subtract(partitions)
            return held.count != before
        }
    }
}
