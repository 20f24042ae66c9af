import CRDKafka
import Logging

/// The consumer's poll thread: serves the consumer queue (rebalances, errors, logs,
/// statistics), runs poll jobs (seeks, manual assignments), hands records from the partition
/// queues to the event buffer as far as it has room, and sleeps on the doorbell when there is
/// nothing to do. At the end it leaves the group and destroys the handle.
///
/// It never pauses a partition in librdkafka: back-pressure and caller holds are partitions
/// whose queue is not read (see ``RDKafkaPartitionQueues``), and rebalances are served however
/// long the reader stalls, so the member stays within `max.poll.interval.ms`.
struct RDKafkaConsumerPollLoop: Sendable {
    let client: RDKafkaClient
    let buffer: KafkaConsumerEventBuffer
    let holds: KafkaConsumerHolds
    let queues: RDKafkaPartitionQueues
    /// The consumer queue's handle (for its wake-ups), released before the handle is destroyed.
    let consumerQueue: RDKafkaHandleBox?
    let wakeup: RDKafkaWakeup
    let worker: KafkaThread
    /// Wakes librdkafka's fetcher for partitions drained below `queued.min.messages`.
    let kick: RDKafkaFetchKick
    let jobs: RDKafkaPollJobs
    let lifecycle: KafkaConsumerLifecycle
    let logger: Logger

    /// Longest sleep with nothing to do; wake-ups normally come sooner.
    static let idleMilliseconds: Int32 = 100

    /// Runs until a stop is requested, then closes and destroys.
    func run() {
        var records: [KafkaConsumerEvent] = []
        records.reserveCapacity(self.queues.batch)
        while !self.lifecycle.isStopRequested {
            self.jobs.runPending()
            self.serveConsumerQueue()
            let room = self.buffer.room()
            var taken = 0
            if room > 0 {
                taken = self.queues.read(limit: room, skipping: self.holds.current) { message in
                    if let event = self.event(message) { records.append(event) }
                }
                self.buffer.push(records)
                records.removeAll(keepingCapacity: true)
                self.kick.kick(self.queues.takeDrained())
            }
            // Nothing read (or no room): sleep until librdkafka or the reader rings.
            if taken == 0 { self.wakeup.wait(milliseconds: Self.idleMilliseconds) }
        }
        self.close()
    }

    /// Serves everything waiting on the consumer queue without blocking. Records arrive here
    /// only for partitions that could not be split; they are kept like any other.
    private func serveConsumerQueue() {
        while let message = try? self.client.withHandle({ rd_kafka_consumer_poll($0, 0) }) {
            if let event = self.event(message) { self.buffer.push(event) }
            rd_kafka_message_destroy(message)
        }
    }

    /// The event for a polled message: a record, or `nil` for an error (logged or recorded).
    private func event(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerEvent? {
        let err = message.pointee.err
        if err == RD_KAFKA_RESP_ERR_NO_ERROR {
            return .message(KafkaConsumerMessage(message))
        }
        if err == RD_KAFKA_RESP_ERR__FATAL {
            // Consumers get fatal errors as error messages rather than through error_cb.
            var reason = [CChar](repeating: 0, count: 512)
            let original = self.client.withHandleIgnoringClosed { rd_kafka_fatal_error($0, &reason, reason.count) }
            let detail = self.client.context.scrubber.scrub(
                reason.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            var error = KafkaError.from(original ?? err, "Fatal error: \(detail)")
            error.isFatal = true
            self.client.context.recordFatal(error)
        } else if err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
            self.logger.warning(
                "Consumer error",
                metadata: [
                    "kafka.code": "\(KafkaError.Code(err).name)",
                    "kafka.topic": "\(message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "")",
                ]
            )
        }
        return nil
    }

    /// Leaves the group, stops the worker, ends the events and destroys the handle.
    private func close() {
        // Closing already (stop requested): revocations during the close complete at once.
        let left =
            (try? self.client.withHandle { handle in
                let err = rd_kafka_consumer_close(handle)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    self.logger.warning(
                        "Consumer close failed", metadata: ["kafka.code": "\(KafkaError.Code(err).name)"])
                }
                return err == RD_KAFKA_RESP_ERR_NO_ERROR
            }) ?? false
        self.jobs.close()
        // Queued kicks would ask about partitions no longer assigned, up to 500 ms each with
        // the broker gone.
        self.kick.stop()
        self.worker.stopAndJoin()
        self.buffer.finish()
        // Queue handles keep their partitions alive: release them before the handle goes.
        self.queues.removeAll()
        if let consumerQueue {
            rd_kafka_queue_io_event_enable(consumerQueue.pointer, -1, nil, 0)
            rd_kafka_queue_destroy(consumerQueue.pointer)
        }
        // Closed as far as callers are concerned: the group was left and nothing uses the
        // handle any more. Destroying it joins librdkafka's threads, which must not hold up
        // an orderly shutdown.
        self.lifecycle.markClosed()
        if self.client.destroy(consumerClosed: true, groupLeft: left) { self.logger.debug("Consumer destroyed") }
    }
}
