import CRDKafka
import Logging

/// A temporary consumer that reads single records at chosen offsets (assign, poll one).
/// Lives on the worker thread of the consumer that created it, for one call.
final class RDKafkaRecordProber {
    private let client: RDKafkaClient

    init(properties: [(String, String)], logger: Logger) throws(KafkaError) {
        let context = RDKafkaClientContext(
            logger: logger, scrubber: KafkaSecretScrubber(properties: properties), statistics: nil)
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
