import CRDKafka
import Logging

/// Serves consumer-group rebalances on the poll thread (from `rd_kafka_conf_set_rebalance_cb`).
///
/// Assignments are applied (each partition taken onto its own queue first, see
/// ``RDKafkaPartitionQueues``), then announced. Revocations are announced first, with buffered
/// records of the revoked partitions dropped, and the poll thread waits (bounded) for the
/// reader to settle and commit before the partitions are released. Uses incremental
/// (un)assign for the cooperative protocol and full assign otherwise.
final class RDKafkaRebalanceHandler: Sendable {
    let buffer: KafkaConsumerEventBuffer
    let ownership: KafkaConsumerOwnership
    let holds: KafkaConsumerHolds
    let queues: RDKafkaPartitionQueues
    let lifecycle: KafkaConsumerLifecycle
    let revocationTimeout: Duration
    let logger: Logger

    init(
        buffer: KafkaConsumerEventBuffer,
        ownership: KafkaConsumerOwnership,
        holds: KafkaConsumerHolds,
        queues: RDKafkaPartitionQueues,
        lifecycle: KafkaConsumerLifecycle,
        revocationTimeout: Duration,
        logger: Logger
    ) {
        self.buffer = buffer
        self.ownership = ownership
        self.holds = holds
        self.queues = queues
        self.lifecycle = lifecycle
        self.revocationTimeout = revocationTimeout
        self.logger = logger
    }

    func handle(
        rk: OpaquePointer,
        err: rd_kafka_resp_err_t,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        KafkaThread.preconditionOnModuleThread()
        var logger = self.logger
        logger[metadataKey: "kafka.client"] = "\(String(cString: rd_kafka_name(rk)))"
        let topicPartitions = RDKafkaTopicPartitionList.read(partitions).map(\.topicPartition)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        let scrubber = RDKafkaClientContext.from(rd_kafka_opaque(rk))?.scrubber ?? KafkaSecretScrubber()
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.info("Partitions assigned", metadata: ["kafka.partitions": "\(topicPartitions)"])
            ownership.assigned(topicPartitions)
            if !cooperative {
                // An eager assignment replaces the whole previous one.
                queues.removeAll()
            }
            // Before the assignment starts fetching, or librdkafka forwards the partition's
            // queue into the consumer queue.
            queues.split(topicPartitions, rk)
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, partitions) {
                    logger.error(
                        "Incremental assign failed",
                        metadata: ["kafka.error": "\(KafkaError.consuming(error, "assign", scrubber: scrubber))"])
                }
            } else {
                let result = rd_kafka_assign(rk, partitions)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                    logger.error("Assign failed", metadata: ["kafka.code": "\(KafkaError.Code(result).name)"])
                }
            }
            // The cooperative protocol also reports empty increments: not worth an event.
            if !topicPartitions.isEmpty { buffer.push(.assigned(topicPartitions)) }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            logger.info(
                "Partitions revoked", metadata: ["kafka.partitions": "\(topicPartitions)", "kafka.lost": "\(lost)"])
            let revocation = KafkaRevocation(partitions: topicPartitions, isLost: lost, completed: lost)
            if !topicPartitions.isEmpty {
                // Waited for only while running: once closing, the caller has committed and
                // nobody would complete it (a close that begins meanwhile completes it).
                let waits = !lost && lifecycle.revoking(revocation)
                if buffer.revoke(revocation) && waits && !revocation.wait(timeout: revocationTimeout) {
                    logger.warning(
                        "Revocation not completed in time; releasing partitions",
                        metadata: ["kafka.partitions": "\(topicPartitions)"]
                    )
                }
                if waits { lifecycle.revoked() }
            }
            // From here on no commit for these partitions may reach the coordinator: a late one
            // (after a timed-out revocation) would overwrite the next owner's progress.
            if !ownership.release(topicPartitions, drainTimeout: revocationTimeout) {
                logger.warning(
                    "Commits for revoked partitions still running; releasing partitions",
                    metadata: ["kafka.partitions": "\(topicPartitions)"]
                )
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, partitions) {
                    logger.error(
                        "Incremental unassign failed",
                        metadata: ["kafka.error": "\(KafkaError.consuming(error, "unassign", scrubber: scrubber))"])
                }
                queues.remove(topicPartitions)
            } else {
                rd_kafka_assign(rk, nil)
                queues.removeAll()
            }
            _ = holds.release(topicPartitions)
        default:
            logger.error("Rebalance error", metadata: ["kafka.code": "\(KafkaError.Code(err).name)"])
            rd_kafka_assign(rk, nil)
            queues.removeAll()
        }
    }
}
