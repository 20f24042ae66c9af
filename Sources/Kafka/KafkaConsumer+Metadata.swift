extension KafkaConsumer {
    /// The partitions of `topic`, from the broker's metadata (tools and backfills assign them
    /// manually).
    ///
    /// - Throws: ``KafkaError`` `UNKNOWN_TOPIC_OR_PART` when the topic does not exist.
    public func partitions(of topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError)
        -> [KafkaTopicPartition]
    {
        let count = try await worker.run { [client] () throws(KafkaError) in
            try client.partitionCount(of: topic, timeout: timeout)
        }
        return (0..<count).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }
    }
}
