import CoreMetrics
import Kafka

extension RelayMetrics {
    /// The per-partition gauges, and the partitions this member no longer owns.
    struct PartitionSeries: Sendable {
        var gauges: [Key: Gauge] = [:]
        /// Revoked partitions: their series were removed, and values recorded for them (by work
        /// that read its numbers before the revocation) are dropped until they are assigned again.
        var revoked: Set<KafkaTopicPartition> = []
    }

    /// The gauges that exist once per assigned partition.
    static let partitionGaugeNames = [Name.commitLag, Name.consumerLag, Name.oldestUnsettledAge]

    /// Records consumed but not committed on one partition.
    public func commitLag(topic: String, partition: Int32, lag: Int64) {
        self.recordPartition(Name.commitLag, KafkaTopicPartition(topic: topic, partition: partition), Double(lag))
    }

    /// Records of `partition` after the group's committed offset, up to its end (see
    /// ``ConsumerLag``).
    public func consumerLag(_ partition: KafkaTopicPartition, lag: Int64) {
        self.recordPartition(Name.consumerLag, partition, Double(lag))
    }

    /// How long ago the oldest record of `partition` read but not settled was read (0 when none is).
    public func oldestUnsettledAge(_ partition: KafkaTopicPartition, seconds: Double) {
        self.recordPartition(Name.oldestUnsettledAge, partition, seconds)
    }

    /// `partitions` were assigned to this member: their series may be recorded again.
    public func partitionsAssigned(_ partitions: some Sequence<KafkaTopicPartition>) {
        self.partitionSeries.withLock { $0.revoked.subtract(partitions) }
    }

    /// `partitions` were revoked from this member (or lost): their series disappear from
    /// `/metrics`, and stay away until they are assigned again. Their new owner reports them.
    public func partitionsRevoked(_ partitions: some Sequence<KafkaTopicPartition>) {
        // Destroyed under the lock: a gauge created for the same series before its removal reached
        // the registry would be registered and then removed with it.
        self.partitionSeries.withLock { series in
            for partition in partitions {
                series.revoked.insert(partition)
                for name in Self.partitionGaugeNames {
                    series.gauges.removeValue(forKey: Self.key(name, partition))?.destroy()
                }
            }
        }
    }

    private static func dimensions(_ partition: KafkaTopicPartition) -> [(String, String)] {
        [("topic", partition.topic), ("partition", String(partition.partition))]
    }

    private static func key(_ label: String, _ partition: KafkaTopicPartition) -> Key {
        Key(label, ("topic", partition.topic), ("partition", String(partition.partition)), nil)
    }

    /// Sets a per-partition gauge, unless the partition was revoked. Recorded under the lock, so
    /// a revocation cannot remove the series between the check and the value (which would
    /// leave a stale series behind).
    private func recordPartition(_ label: String, _ partition: KafkaTopicPartition, _ value: Double) {
        self.partitionSeries.withLock { series in
            guard !series.revoked.contains(partition) else { return }
            let key = Self.key(label, partition)
            let gauge =
                series.gauges[key] ?? Gauge(label: label, dimensions: Self.dimensions(partition), factory: self.factory)
            series.gauges[key] = gauge
            gauge.record(value)
        }
    }
}
