import CRDKafka

extension RDKafkaClient {
    /// Every partition of `topic` (see ``partitionCount(topic:timeout:)``).
    ///
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/unknownTopicOrPartition`` when the
    ///   cluster has no such topic, or the metadata request's error.
    func partitions(of topic: String, timeout: Duration) throws(KafkaError) -> [KafkaTopicPartition] {
        guard let count = try self.partitionCount(topic: topic, timeout: timeout), count > 0 else {
            throw KafkaError(code: .unknownTopicOrPartition, reason: "topic '\(topic)' does not exist")
        }
        return (0..<count).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }
    }

    /// The number of partitions of `topic` from the cluster's metadata; `nil` when the cluster
    /// does not know the topic. Module threads only (it blocks for up to `timeout`).
    ///
    /// Asks for every topic's metadata rather than for `topic` alone: a request naming a topic
    /// may create it on a broker with `auto.create.topics.enable`, and a tool that only reads
    /// must never create the topic it was asked about.
    func partitionCount(topic: String, timeout: Duration) throws(KafkaError) -> Int? {
        KafkaThread.preconditionOnModuleThread()
        return try self.withHandle { handle throws(KafkaError) in
            try Self.withAllTopics(handle, timeout: timeout, what: "metadata for \(topic)") {
                topics throws(KafkaError) -> Int? in
                guard let entry = topics.first(where: { String(cString: $0.topic) == topic }) else { return nil }
                guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    if entry.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART { return nil }
                    throw KafkaError.from(entry.err, "metadata for \(topic)")
                }
                return Int(entry.partition_cnt)
            }
        }
    }

    /// Calls `body` with every topic of the cluster's metadata. Asks for all topics, never for
    /// one by name: a request naming a topic may create it on a broker with
    /// `auto.create.topics.enable`.
    ///
    /// - Throws: ``KafkaError`` when the request fails (`what` names it), or what `body` throws.
    static func withAllTopics<T>(
        _ handle: OpaquePointer, timeout: Duration, what: String,
        _ body: (UnsafeBufferPointer<rd_kafka_metadata_topic_t>) throws(KafkaError) -> T
    ) throws(KafkaError) -> T {
        var metadata: UnsafePointer<rd_kafka_metadata_t>?
        let err = rd_kafka_metadata(handle, 1, nil, &metadata, timeout.rdMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError.from(err, what) }
        defer { rd_kafka_metadata_destroy(metadata) }
        return try body(UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt)))
    }
}

extension RDKafkaClient {
    /// Makes the producer know `topics` before it first writes to them. librdkafka 2.0.2 looks
    /// an unknown topic up only on a timer that fires once a second, so the first record to each
    /// topic waited about a second (librdkafka issue 3202; measured here: the relay's first
    /// outcome and first referee record, 0.9 to 1.0 s, with a whole window of events behind
    /// them). Creating the topic's handle first makes the next metadata response fill it in.
    /// Module threads only (it blocks for up to twice `timeout`).
    ///
    /// Only topics the cluster already has are prepared: a new topic handle makes librdkafka ask
    /// for that topic by name, which creates it on a broker that creates topics on request. A
    /// missing topic is left as it was (the first record to it behaves as without this call).
    ///
    /// - Returns: The topics prepared.
    /// - Throws: ``KafkaError`` when a metadata request fails.
    @discardableResult
    func prepareTopics(_ topics: [String], timeout: Duration) throws(KafkaError) -> [String] {
        KafkaThread.preconditionOnModuleThread()
        return try self.withHandle { handle throws(KafkaError) -> [String] in
            let existing = try Self.topicNames(handle, timeout: timeout)
            let prepared = topics.filter { existing.contains($0) }
            guard !prepared.isEmpty else { return [] }
            self.topicHandles.withLock { handles in
                for topic in prepared where handles[topic] == nil {
                    if let created = rd_kafka_topic_new(handle, topic, nil) {
                        handles[topic] = RDKafkaHandleBox(pointer: created)
                    }
                }
            }
            _ = try Self.topicNames(handle, timeout: timeout)
            return prepared
        }
    }

    /// The names of every topic the cluster's metadata lists without an error.
    private static func topicNames(_ handle: OpaquePointer, timeout: Duration) throws(KafkaError) -> Set<String> {
        try withAllTopics(handle, timeout: timeout, what: "metadata") { topics in
            Set(topics.filter { $0.err == RD_KAFKA_RESP_ERR_NO_ERROR }.map { String(cString: $0.topic) })
        }
    }
}
