import Logging

extension KafkaConsumer {
    /// For each partition, the earliest offset whose record timestamp is at or after
    /// `milliseconds` (since the Unix epoch), or ``KafkaOffset/end`` (-1) when there is none.
    ///
    /// Asks the broker (`rd_kafka_offsets_for_times`). A broker answering "none" is checked
    /// against the partition's last record; when that record is in fact at or after the
    /// timestamp — which a real broker never reports, but librdkafka 2.0.2's mock cluster (the
    /// embedded broker) always does, because it does not implement timestamp lookups — the offset
    /// is found by a binary search that reads one record per probe through a temporary,
    /// manually assigned consumer (no group membership, no commits). The search assumes
    /// timestamps that do not decrease along the partition.
    ///
    /// Runs on the consumer's worker thread.
    public func offsets(
        forTimestamp milliseconds: Int64,
        partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let entries = partitions.map { ($0, milliseconds) }
        let properties = probeProperties
        let logger = self.logger
        return try await worker.run { [client] () throws(KafkaError) in
            var result = try client.offsetsForTimes(entries, timeout: timeout)
            let unanswered = result.filter { $0.value < 0 }.map(\.key)
            guard !unanswered.isEmpty else { return result }
            let prober = try RDKafkaRecordProber(properties: properties, logger: logger)
            defer { prober.close() }
            for partition in unanswered {
                let marks = try client.queryWatermarks(partition, timeout: timeout)
                result[partition] = try prober.firstOffset(
                    in: partition, atOrAfter: milliseconds, low: marks.low, high: marks.high, timeout: timeout)
            }
            return result
        }
    }
}
