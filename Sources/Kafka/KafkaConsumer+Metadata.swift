extension KafkaConsumer {
    /// Every partition of `topic`, as the cluster's metadata lists them (for tools that assign
    /// a whole topic by hand). Runs on the consumer's worker thread; never creates the topic.
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
}
