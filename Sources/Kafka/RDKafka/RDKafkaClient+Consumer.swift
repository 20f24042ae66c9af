import CRDKafka

/// The consumer calls of librdkafka, each wrapped so the public ``KafkaConsumer`` makes none.
/// Blocking ones assert they run on a module thread (the consumer's worker or poll thread).
extension RDKafkaClient {
    /// Serves rebalance, commit, error and statistics callbacks from `rd_kafka_consumer_poll`
    /// and returns the consumer queue, which rings `wakeup` when something arrives.
    func startConsumerQueue(wakeup: RDKafkaWakeup) throws(KafkaError) -> OpaquePointer? {
        try self.withHandle { handle throws(KafkaError) -> OpaquePointer? in
            let err = rd_kafka_poll_set_consumer(handle)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "rd_kafka_poll_set_consumer") }
            let queue = rd_kafka_queue_get_consumer(handle)
            if let queue {
                var payload = RDKafkaWakeup.payload
                rd_kafka_queue_io_event_enable(queue, wakeup.fd, &payload, 8)
            }
            return queue
        }
    }

    /// Subscribes to `topics` (group membership).
    func subscribe(_ topics: [String]) throws(KafkaError) {
        try self.withHandle { handle throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(topics: topics) { list throws(KafkaError) in
                let err = rd_kafka_subscribe(handle, list)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "subscribe") }
            }
        }
    }

    /// Replaces the assignment with `entries` (manual assignment), each split onto its own
    /// queue first. Poll thread only (it owns the queues).
    ///
    /// - Returns: The partitions assigned before.
    func assign(
        _ entries: [(KafkaTopicPartition, Int64)],
        queues: RDKafkaPartitionQueues
    ) throws(KafkaError) -> [KafkaTopicPartition] {
        KafkaThread.preconditionOnModuleThread()
        return try self.withHandle { handle throws(KafkaError) in
            let previous = queues.partitions
            queues.removeAll()
            queues.split(entries.map(\.0), handle)
            try RDKafkaTopicPartitionList.with(entries) { list throws(KafkaError) in
                let err = rd_kafka_assign(handle, list)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "assign") }
            }
            return previous
        }
    }

    /// The partitions currently assigned.
    func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        try self.withHandle { handle throws(KafkaError) in
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let err = rd_kafka_assignment(handle, &list)
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "assignment") }
            return RDKafkaTopicPartitionList.read(list).map(\.topicPartition)
        }
    }

    /// Commits `entries` (next offset and optional metadata per partition); with `wait`, until
    /// the coordinator answered.
    ///
    /// - Throws: The request's error or the first partition's.
    func commit(_ entries: [(KafkaTopicPartition, Int64, String?)], wait: Bool) throws(KafkaError) {
        if wait { KafkaThread.preconditionOnModuleThread() }
        try self.withHandle { handle throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(entries) { list throws(KafkaError) in
                let err = rd_kafka_commit(handle, list, wait ? 0 : 1)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "commit") }
                guard wait else { return }
                if let failed = RDKafkaTopicPartitionList.read(list).first(where: {
                    $0.error != RD_KAFKA_RESP_ERR_NO_ERROR
                }) {
                    throw KafkaError.from(failed.error, "commit \(failed.topicPartition)")
                }
            }
        }
    }

    /// The group's committed offsets and metadata of `partitions` (absent: no commit).
    func committed(
        _ partitions: [KafkaTopicPartition],
        timeout: Duration
    ) throws(KafkaError) -> [KafkaTopicPartition: KafkaCommittedOffset] {
        KafkaThread.preconditionOnModuleThread()
        return try self.withHandle { handle throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(partitions.map { ($0, Int64(0)) }) { list throws(KafkaError) in
                let err = rd_kafka_committed(handle, list, timeout.rdMilliseconds)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "committed") }
                var result: [KafkaTopicPartition: KafkaCommittedOffset] = [:]
                for entry in RDKafkaTopicPartitionList.read(list) where entry.offset >= 0 {
                    result[entry.topicPartition] = KafkaCommittedOffset(offset: entry.offset, metadata: entry.metadata)
                }
                return result
            }
        }
    }

    /// Moves the fetch position of an assigned partition. Poll thread only.
    func seek(_ partition: KafkaTopicPartition, to offset: Int64, timeout: Duration) throws(KafkaError) {
        KafkaThread.preconditionOnModuleThread()
        try self.withHandle { handle throws(KafkaError) in
            try RDKafkaTopicPartitionList.with([(partition, offset)]) { list throws(KafkaError) in
                if let error = rd_kafka_seek_partitions(handle, list, timeout.rdMilliseconds) {
                    throw KafkaError.consuming(error, "seek \(partition)", scrubber: self.context.scrubber)
                }
                if let failed = RDKafkaTopicPartitionList.read(list).first(where: {
                    $0.error != RD_KAFKA_RESP_ERR_NO_ERROR
                }) {
                    throw KafkaError.from(failed.error, "seek \(failed.topicPartition)")
                }
            }
        }
    }

    /// Asks the broker for a partition's low and high watermarks.
    func queryWatermarks(_ partition: KafkaTopicPartition, timeout: Duration) throws(KafkaError) -> KafkaWatermarks {
        KafkaThread.preconditionOnModuleThread()
        return try self.withHandle { handle throws(KafkaError) in
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(
                handle, partition.topic, partition.partition, &low, &high, timeout.rdMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "watermarks \(partition)") }
            return KafkaWatermarks(low: low, high: high)
        }
    }

    /// The high watermark librdkafka last saw in a fetch response; `nil` when unknown.
    /// Non-blocking: any thread.
    func cachedHighWatermark(_ partition: KafkaTopicPartition) -> Int64? {
        self.withHandleIgnoringClosed { handle -> Int64? in
            var low: Int64 = -1
            var high: Int64 = -1
            let err = rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
            return high
        } ?? nil
    }

    /// The broker's answer to a timestamp lookup per partition (-1: none).
    func offsetsForTimes(_ entries: [(KafkaTopicPartition, Int64)], timeout: Duration) throws(KafkaError)
        -> [KafkaTopicPartition: Int64]
    {
        KafkaThread.preconditionOnModuleThread()
        return try self.withHandle { handle throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(entries) { list throws(KafkaError) in
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
        }
    }
}
