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

/// A temporary consumer that reads single records at chosen offsets (assign, poll one).
/// Lives on the worker thread of the consumer that created it, for one call.
final class RDKafkaRecordProber {
    private let client: RDKafkaClient

    init(properties: [(String, String)], logger: Logger) throws(KafkaError) {
        let context = RDKafkaClientContext(logger: logger, statistics: nil)
        client = try RDKafkaClient.make(kind: .consumer, properties: properties, context: context)
        try client.withHandle { handle throws(KafkaError) in
            let err = rd_kafka_poll_set_consumer(handle)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "rd_kafka_poll_set_consumer") }
        }
    }

    /// Binary search for the first offset in `low..<high` whose record timestamp is at or
    /// after `target`; -1 when none is.
    func firstOffset(
        in tp: KafkaTopicPartition,
        atOrAfter target: Int64,
        low: Int64,
        high: Int64,
        timeout: Duration
    ) throws(KafkaError) -> Int64 {
        var lower = low
        var upper = high  // The answer lies in lower...upper; upper == high means none.
        while lower < upper {
            let middle = lower + (upper - lower) / 2
            let (offset, timestamp) = try read(tp, at: middle, timeout: timeout)
            if timestamp >= target {
                upper = middle
            } else {
                lower = offset + 1
            }
        }
        return lower >= high ? KafkaOffset.end : lower
    }

    /// The offset and timestamp of the first record at or after `offset`.
    private func read(_ tp: KafkaTopicPartition, at offset: Int64, timeout: Duration) throws(KafkaError) -> (
        Int64, Int64
    ) {
        try client.withHandle { handle throws(KafkaError) in
            KafkaThread.preconditionOnModuleThread()
            try RDKafkaTopicPartitionList.with([(tp, offset)]) { list throws(KafkaError) in
                let err = rd_kafka_assign(handle, list)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "probe assign") }
            }
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                guard let message = rd_kafka_consumer_poll(handle, 100) else { continue }
                defer { rd_kafka_message_destroy(message) }
                let m = message.pointee
                guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR, m.partition == tp.partition, m.offset >= offset else {
                    continue
                }
                var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                return (m.offset, rd_kafka_message_timestamp(message, &type))
            }
            throw KafkaError(code: .timedOut, reason: "No record read at \(tp)@\(offset) within \(timeout)")
        }
    }

    /// Closes and destroys the temporary consumer (on the calling module thread).
    func close() {
        _ = try? client.withHandle { rd_kafka_consumer_close($0) }
        client.destroy(consumerClosed: true)
    }
}
