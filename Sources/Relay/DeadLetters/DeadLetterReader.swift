import Kafka

/// Reads the dead-letter topic through a manually assigned consumer: plans the ranges (end
/// offsets captured at start), then hands each record of those ranges, in order per partition,
/// to the caller.
///
/// Manual assignment: no group join (no 3 s wait, no rebalance), and the relay's group is never
/// disturbed. A tool that commits does so under its own group id, with ``KafkaConsumer/commit(_:metadata:)``.
public struct DeadLetterReader: Sendable {
    /// The consumer (not yet assigned).
    public let consumer: KafkaConsumer
    /// The dead-letter topic.
    public let topic: String
    /// How long the reader waits for the next record before it gives up on the partitions not
    /// read to their end (a log trimmed under it, an unreachable broker).
    public let idleTimeout: Duration

    /// Creates a reader.
    public init(consumer: KafkaConsumer, topic: String, idleTimeout: Duration = .seconds(30)) {
        self.consumer = consumer
        self.topic = topic
        self.idleTimeout = idleTimeout
    }

    /// Plans what to read: every partition of the topic, from the committed offset of the
    /// consumer's group when `resume` is set and there is one, else from the first record at or
    /// after `from`, else from the beginning; up to the high watermark of now.
    ///
    /// - Throws: ``DeadLetterToolError`` `topicMissing` when the topic does not exist, `kafka`
    ///   when a query fails.
    public func plan(from: Int64?, resume: Bool) async throws(DeadLetterToolError) -> DeadLetterReadPlan {
        do throws(KafkaError) {
            let partitions = try await consumer.partitions(of: topic)
            let committed = resume ? try await consumer.committed(partitions) : [:]
            let needTimes = partitions.filter { committed[$0] == nil }
            let fromOffsets =
                if let from, !needTimes.isEmpty {
                    try await consumer.offsets(forTimestamp: from, partitions: needTimes)
                } else { [KafkaTopicPartition: Int64]() }
            var ranges: [KafkaTopicPartition: Range<Int64>] = [:]
            for partition in partitions {
                let marks = try await consumer.watermarks(topic: topic, partition: partition.partition)
                let start = DeadLetterReadPlan.start(
                    low: marks.low, high: marks.high, committed: committed[partition],
                    fromOffset: fromOffsets[partition])
                ranges[partition] = start..<marks.high
            }
            return DeadLetterReadPlan(ranges: ranges)
        } catch  where error.code == .unknownTopicOrPartition {
            throw DeadLetterToolError(code: .topicMissing, reason: "the dead-letter topic '\(topic)' does not exist")
        } catch {
            throw DeadLetterToolError(code: .kafka, reason: "reading \(topic): \(error)")
        }
    }

    /// Assigns the plan's partitions and calls `body` for each record of the plan, in offset
    /// order per partition, until every range is read or `body` returns `false`.
    ///
    /// - Returns: The partitions not read to their end and the next offset each would read:
    ///   empty when the plan was read whole or `body` stopped the read.
    /// - Throws: `body`'s errors; ``DeadLetterToolError`` `kafka` for consumer failures.
    public func read(
        _ plan: DeadLetterReadPlan,
        _ body: (KafkaConsumerMessage) async throws -> Bool
    ) async throws -> [KafkaTopicPartition: Int64] {
        var next = plan.ranges.mapValues(\.lowerBound)
        guard !next.isEmpty else { return [:] }
        do {
            try await consumer.assign(next)
        } catch {
            throw DeadLetterToolError(code: .kafka, reason: "assigning \(topic): \(error)")
        }
        while !next.isEmpty {
            guard let event = try await nextEvent() else { return next }
            guard case .message(let message) = event, let position = next[message.topicPartition],
                let end = plan.ranges[message.topicPartition]?.upperBound, message.offset >= position
            else { continue }
            // Records written after the start are the next command's; Kafka delivers a
            // partition in order, so one past the end means the range is done.
            guard message.offset < end else {
                next[message.topicPartition] = nil
                continue
            }
            guard try await body(message) else { return [:] }
            next[message.topicPartition] = message.offset + 1 < end ? message.offset + 1 : nil
        }
        return [:]
    }

    /// The next consumer event, or `nil` when none arrives within ``idleTimeout`` or the
    /// consumer closed. An event that arrives just as the timeout fires is still returned.
    private func nextEvent() async throws -> KafkaConsumerEvent? {
        enum Outcome: Sendable {
            case event(KafkaConsumerEvent?)
            case failed(any Error)
            case timedOut
        }
        let events = consumer.events
        let timeout = idleTimeout
        let result: Result<KafkaConsumerEvent?, DeadLetterToolError> = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                var iterator = events.makeAsyncIterator()
                do { return .event(try await iterator.next()) } catch { return .failed(error) }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            var event: KafkaConsumerEvent?
            var failure: (any Error)?
            while let outcome = await group.next() {
                group.cancelAll()
                switch outcome {
                case .event(let received): event = event ?? received
                case .failed(let error) where !(error is CancellationError): failure = failure ?? error
                default: break
                }
            }
            if let event { return .success(event) }
            if let failure {
                return .failure(DeadLetterToolError(code: .kafka, reason: "reading \(topic): \(failure)"))
            }
            return .success(nil)
        }
        return try result.get()
    }
}
