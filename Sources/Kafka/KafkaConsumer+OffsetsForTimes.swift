import CRDKafka
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
        return try await onWorker { handle throws(KafkaError) in
            KafkaThread.preconditionOnModuleThread()
            var result = try RDKafkaTopicPartitionList.with(entries) { list throws(KafkaError) in
                let err = rd_kafka_offsets_for_times(handle, list, timeout.rdMilliseconds)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "offsets_for_times") }
                var result: [KafkaTopicPartition: Int64] = [:]
                for entry in RDKafkaTopicPartitionList.read(list) {
                    guard entry.error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                        throw KafkaError.from(entry.error, "offsets_for_times \(entry.topicPartition)")
                    }
                    result[entry.topicPartition] = entry.offset
                }
                return result
            }
            let unanswered = result.filter { $0.value < 0 }.map(\.key)
            guard !unanswered.isEmpty else { return result }
            let prober = try RDKafkaRecordProber(properties: properties, logger: logger)
            defer { prober.close() }
            for tp in unanswered {
                var low: Int64 = 0
                var high: Int64 = 0
                let err = rd_kafka_query_watermark_offsets(
                    handle,
                    tp.topic,
                    tp.partition,
                    &low,
                    &high,
                    timeout.rdMilliseconds
                )
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "watermarks \(tp)") }
                result[tp] = try prober.firstOffset(
                    in: tp,
                    atOrAfter: milliseconds,
                    low: low,
                    high: high,
                    timeout: timeout
                )
            }
            return result
        }
    }
}
