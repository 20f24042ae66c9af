/// A committed offset and the metadata committed with it.
public struct KafkaCommittedOffset: Hashable, Sendable {
    /// The next offset to read.
    public var offset: Int64
    /// The metadata string committed with it, if any.
    public var metadata: String?

    /// Creates a committed offset.
    public init(offset: Int64, metadata: String?) {
        self.offset = offset
        self.metadata = metadata
    }
}

/// Low and high watermark offsets of a partition.
public struct KafkaWatermarks: Hashable, Sendable {
    /// The oldest offset in the log.
    public var low: Int64
    /// The offset the next record will get.
    public var high: Int64
}

extension KafkaConsumer {
    /// Joins the consumer group for `topics`; assignments arrive as ``KafkaConsumerEvent/assigned(_:)``.
    public func subscribe(topics: [String]) async throws(KafkaError) {
        try await worker.run { [client] () throws(KafkaError) in try client.subscribe(topics) }
    }

    /// Assigns partitions manually (no group membership; for tools and backfills), each from
    /// an offset or ``KafkaOffset/beginning``, ``KafkaOffset/end``, ``KafkaOffset/stored``.
    /// Replaces the current assignment. No ``KafkaConsumerEvent/assigned(_:)`` event is sent.
    public func assign(_ partitions: [KafkaTopicPartition: Int64]) async throws(KafkaError) {
        let entries = partitions.sorted { $0.key.description < $1.key.description }.map { ($0.key, $0.value) }
        // On the poll thread, which owns the partition queues: each is split before librdkafka
        // starts fetching it.
        try await pollJobs.run { [client, ownership, queues, holds] () throws(KafkaError) in
            let previous = try client.assign(entries, queues: queues)
            _ = holds.release(previous.filter { partition in !entries.contains { $0.0 == partition } })
            ownership.assigned(entries.map(\.0))
        }
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() async throws(KafkaError) -> [KafkaTopicPartition] {
        try await worker.run { [client] () throws(KafkaError) in try client.assignment() }
    }

    /// Commits offsets synchronously (on the consumer's worker thread) and returns once the
    /// group coordinator accepted them.
    ///
    /// While this member joins the group's next generation (its JoinGroup or SyncGroup is
    /// outstanding), and after the coordinator refused a commit with `REBALANCE_IN_PROGRESS`
    /// until this member has joined again, the commit waits (up to `rebalanceWait`) rather than
    /// being sent: sent then, it would be answered `ILLEGAL_GENERATION`, on which librdkafka
    /// declares the whole assignment lost (see ``KafkaGroupJoin``).
    ///
    /// - Parameters:
    ///   - offsets: per partition, the **next** offset to read (last settled + 1).
    ///   - metadata: per partition, an optional commit metadata string stored with the offset
    ///     (Kafka keeps up to `offset.metadata.max.bytes`, 4096 by default); read it back with
    ///     ``committedWithMetadata(_:timeout:)``.
    ///   - rebalanceWait: How long to wait for a join in progress.
    /// - Throws: ``KafkaError`` for the request or the first partition that failed; `_STATE`
    ///   (not retriable) for a partition the group revoked from this consumer, whose next owner
    ///   now commits it; `REBALANCE_IN_PROGRESS` (``KafkaError/isRetriable``) when this member
    ///   was still joining after `rebalanceWait` (nothing was sent) or the coordinator refused
    ///   the commit. Retry; a partition later revoked is then re-read from the last successful
    ///   commit by its next owner.
    public func commit(
        _ offsets: [KafkaTopicPartition: Int64],
        metadata: [KafkaTopicPartition: String] = [:],
        rebalanceWait: Duration = .seconds(10)
    ) async throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        guard await groupJoin.waitUntilCommitAllowed(timeout: rebalanceWait) else {
            throw KafkaError(
                code: .rebalanceInProgress,
                reason: "commit: held while this member joins the group's next generation",
                isRetriable: true
            )
        }
        let entries = offsets.map { ($0.key, $0.value, metadata[$0.key]) }
        let partitions = Array(offsets.keys)
        do {
            try await worker.run { [client, ownership] () throws(KafkaError) in
                try ownership.beginCommit(partitions)
                defer { ownership.endCommit(partitions) }
                try client.commit(entries, wait: true)
            }
        } catch {
            if error.code == .rebalanceInProgress { groupJoin.commitRefusedForRebalance() }
            throw error
        }
    }

    /// Commits offsets without waiting for the result; failures (including partitions revoked
    /// from this consumer, which are refused) are logged.
    ///
    /// - Parameter offsets: per partition, the next offset to read.
    public func commitAsync(_ offsets: [KafkaTopicPartition: Int64]) {
        guard !offsets.isEmpty else { return }
        let entries = offsets.map { ($0.key, $0.value, String?.none) }
        let partitions = Array(offsets.keys)
        worker.submit { [client, logger, ownership] in
            do throws(KafkaError) {
                try ownership.beginCommit(partitions)
                defer { ownership.endCommit(partitions) }
                try client.commit(entries, wait: false)
            } catch {
                logger.warning("Asynchronous offset commit failed", metadata: ["kafka.error": "\(error)"])
            }
        }
    }

    /// The committed offsets (next offset to read) of `partitions`; partitions without a
    /// commit are absent from the result.
    public func committed(
        _ partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        try await self.committedWithMetadata(partitions, timeout: timeout).mapValues(\.offset)
    }

    /// The committed offsets (next offset to read) of `partitions` with the metadata stored
    /// alongside; partitions without a commit are absent from the result.
    public func committedWithMetadata(
        _ partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: KafkaCommittedOffset] {
        try await worker.run { [client] () throws(KafkaError) in try client.committed(partitions, timeout: timeout) }
    }

    /// Holds `partitions`: none of their records is delivered until ``resume(_:)``; records
    /// already in ``events`` still are. librdkafka keeps fetching a held partition until its
    /// prefetch limit (`queued.min.messages`, `queued.max.messages.kbytes`) is reached, then
    /// stops; nothing is discarded, so lifting the hold continues exactly where delivery stopped.
    /// Holds end when a partition leaves the assignment.
    public func pause(_ partitions: [KafkaTopicPartition]) async throws(KafkaError) {
        holds.hold(partitions)
    }

    /// Holds exactly `partitions` from now on and lifts every other hold. Synchronous and cheap
    /// (no librdkafka call), so a caller can keep the holds in step with its own state.
    public func hold(only partitions: Set<KafkaTopicPartition>) {
        if holds.set(partitions) { wakeup.signal() }
    }

    /// Lifts the hold of `partitions`: delivery continues after the last record delivered.
    public func resume(_ partitions: [KafkaTopicPartition]) async throws(KafkaError) {
        if holds.release(partitions) { wakeup.signal() }
    }

    /// Moves the fetch position of an assigned partition; buffered records of it are dropped.
    /// Runs on the poll thread between two polls (so it waits out a pending revocation).
    ///
    /// - Parameters:
    ///   - partition: an assigned partition.
    ///   - offset: the next offset to deliver, or ``KafkaOffset/beginning`` / ``KafkaOffset/end``.
    public func seek(
        _ partition: KafkaTopicPartition,
        to offset: Int64,
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) {
        // On the poll thread, between polls: no record from the old position can be handed
        // to the buffer after the stale ones are dropped.
        try await pollJobs.run { [client, buffer] () throws(KafkaError) in
            try client.seek(partition, to: offset, timeout: timeout)
            buffer.drop([partition])
        }
    }

    /// Queries the broker for a partition's low and high watermarks.
    public func watermarks(
        topic: String,
        partition: Int32,
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> KafkaWatermarks {
        let partition = KafkaTopicPartition(topic: topic, partition: partition)
        return try await worker.run { [client] () throws(KafkaError) in
            try client.queryWatermarks(partition, timeout: timeout)
        }
    }

    /// Queries the brokers for the end offsets (high watermarks) of `partitions`: one request per
    /// leader for all of them (`rd_kafka_offsets_for_times` with "latest"), where
    /// ``watermarks(topic:partition:timeout:)`` asks once per partition.
    public func endOffsets(
        of partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        return try await worker.run { [client] () throws(KafkaError) in
            // -1: the offset after the last record (what the broker answers "latest" with).
            let ends = try client.offsetsForTimes(partitions.map { ($0, -1) }, timeout: timeout)
            for partition in partitions where (ends[partition] ?? -1) < 0 {
                throw KafkaError(code: .unknownPartition, reason: "no end offset for \(partition)", isRetriable: true)
            }
            return ends
        }
    }

    /// The partition's end offset (high watermark) as librdkafka last saw it in a fetch
    /// response, without asking the broker; `nil` when not known yet. Cheap and non-blocking,
    /// so it may be called from any thread.
    public func cachedHighWatermark(_ partition: KafkaTopicPartition) -> Int64? {
        client.cachedHighWatermark(partition)
    }
}
