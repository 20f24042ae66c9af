import Kafka

/// Which partitions have had the same oldest unsettled record for long: a record that neither
/// settles nor lets go (a publish retried through an outage, a delivery held by MMOLove) keeps
/// its partition's commit in place, and `/readyz` says so once that lasts.
///
/// A value with the time passed in, tested with plain values (`HeldPartitionsTests`).
struct HeldPartitions: Sendable {
    /// A partition whose commit has been held by one record since `since`.
    struct Held: Sendable, Hashable {
        /// The partition.
        var partition: KafkaTopicPartition
        /// The offset of the record that holds it.
        var offset: Int64
        /// When that record became the oldest unsettled one (as far as these updates saw).
        var since: ContinuousClock.Instant
    }

    private var heads: [KafkaTopicPartition: Held] = [:]

    /// Takes the current oldest unsettled offset of each partition (a partition absent from
    /// `oldestUnsettled` has nothing unsettled, or is no longer assigned).
    ///
    /// - Returns: The partitions held by the same record for at least `limit` at `now`, in
    ///   partition order.
    mutating func update(
        oldestUnsettled: [KafkaTopicPartition: Int64],
        now: ContinuousClock.Instant,
        limit: Duration
    ) -> [Held] {
        var heads: [KafkaTopicPartition: Held] = [:]
        for (partition, offset) in oldestUnsettled {
            if let previous = self.heads[partition], previous.offset == offset {
                heads[partition] = previous
            } else {
                heads[partition] = Held(partition: partition, offset: offset, since: now)
            }
        }
        self.heads = heads
        return heads.values.filter { now - $0.since >= limit }.sorted {
            ($0.partition.topic, $0.partition.partition) < ($1.partition.topic, $1.partition.partition)
        }
    }
}
