extension KafkaProducer {
    /// Every partition of `topic`, as the cluster's metadata lists them, asked through this
    /// producer's own connection (so with its credentials). Runs on the producer's worker thread;
    /// never creates the topic.
    ///
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/unknownTopicOrPartition`` when the
    ///   cluster has no such topic, or the metadata request's error.
    public func partitions(
        of topic: String,
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition] {
        try await worker.run { [client] () throws(KafkaError) in
            try client.partitions(of: topic, timeout: timeout)
        }
    }

    /// Makes the producer know `topics` now, so the first record to each is not held for about
    /// a second while librdkafka looks the topic up (see `RDKafkaClient.prepareTopics`). Only
    /// topics the cluster has are prepared; none is created.
    ///
    /// - Returns: The topics prepared.
    /// - Throws: ``KafkaError`` when the metadata request fails.
    @discardableResult
    public func prepare(topics: [String], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [String] {
        try await worker.run { [client] () throws(KafkaError) -> [String] in
            try client.prepareTopics(topics, timeout: timeout)
        }
    }
}
