import CRDKafka
import Logging

/// The producer calls of librdkafka, each wrapped so the public ``KafkaProducer`` makes none.
extension RDKafkaClient {
    /// What became of a record handed to librdkafka.
    enum Enqueued {
        /// Enqueued: the delivery-report callback will answer for it.
        case enqueued
        /// librdkafka's local queue is full: try again later.
        case queueFull
        /// The handle is closing or destroyed.
        case closed
        /// Refused for good.
        case failed(KafkaError)
    }

    /// Serves delivery reports and other callbacks for up to `milliseconds`. Poll thread only.
    func servePollQueue(milliseconds: Int32) {
        _ = self.withHandleIgnoringClosed { rd_kafka_poll($0, milliseconds) }
    }

    /// Enqueues `record` with `opaque` as its per-message opaque; never blocks.
    func produce(_ record: KafkaProducerRecord, opaque: UnsafeMutableRawPointer) -> Enqueued {
        let err = self.withHandleIgnoringClosed { RDKafkaProduce.produce($0, record, opaque: opaque) }
        switch err {
        case RD_KAFKA_RESP_ERR_NO_ERROR: return .enqueued
        case RD_KAFKA_RESP_ERR__QUEUE_FULL: return .queueFull
        case RD_KAFKA_RESP_ERR__DESTROY, nil: return .closed
        case let err?: return .failed(KafkaError.from(err, "produce to \(record.topic)"))
        }
    }

    /// Waits until every enqueued record was delivered or failed, for up to `timeout`.
    ///
    /// - Throws: ``KafkaError`` (`_TIMED_OUT`) when records remain.
    func flush(timeout: Duration) throws(KafkaError) {
        KafkaThread.preconditionOnModuleThread()
        try self.withHandle { handle throws(KafkaError) in
            let err = rd_kafka_flush(handle, timeout.rdMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "flush") }
        }
    }

    /// At close: flushes for up to `timeout`, then purges and serves what is left, so every
    /// pending send is answered before the handle is destroyed. Poll thread only.
    func drainAtClose(timeout: Duration, logger: Logger) {
        KafkaThread.preconditionOnModuleThread()
        _ = self.withHandleIgnoringClosed { handle in
            if rd_kafka_flush(handle, timeout.rdMilliseconds) != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning(
                    "Producer closed with undelivered records",
                    metadata: ["kafka.queued": "\(rd_kafka_outq_len(handle))"])
                rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
                _ = rd_kafka_flush(handle, 1000)
            }
        }
    }
}
