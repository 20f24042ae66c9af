import Kafka

/// The offsets a backfill reads: per input partition, from the first record at or after the
/// window's start to the first at or after its end (or the partition's end offset captured
/// when the run started), so the run always finishes however fast producers keep writing.
public struct BackfillPlan: Sendable, Hashable {
    /// Per partition, the window's offsets `start..<end` (empty when it holds no record).
    public var ranges: [KafkaTopicPartition: Range<Int64>]

    /// Creates a plan from explicit ranges.
    public init(ranges: [KafkaTopicPartition: Range<Int64>]) {
        self.ranges = ranges
    }

    /// Records in the window, per topic.
    public var totals: [String: Int64] {
        var totals: [String: Int64] = [:]
        for (partition, range) in self.ranges { totals[partition.topic, default: 0] += Int64(range.count) }
        return totals
    }

    /// Finds the window's offsets on the broker.
    ///
    /// - Parameters:
    ///   - window: The time window.
    ///   - topics: The input topics.
    ///   - consumer: A consumer of the cluster (not assigned yet).
    /// - Throws: ``BackfillError`` `missingTopic` naming a topic the broker does not have;
    ///   ``KafkaError`` when the broker cannot be asked.
    public static func find(
        _ window: BackfillWindow,
        topics: [String],
        consumer: KafkaConsumer
    ) async throws -> BackfillPlan {
        var partitions: [KafkaTopicPartition] = []
        for topic in topics {
            let found: Result<[KafkaTopicPartition], KafkaError>
            do { found = .success(try await consumer.partitions(of: topic)) } catch { found = .failure(error) }
            switch found {
            case .success(let list): partitions += list
            case .failure(let error) where error.code == .unknownTopicOrPartition:
                throw BackfillError(.missingTopic, "topic \(topic) does not exist on the broker")
            case .failure(let error): throw error
            }
        }
        let starts = try await consumer.offsets(forTimestamp: window.from, partitions: partitions)
        var ends: [KafkaTopicPartition: Int64]?
        if let to = window.to { ends = try await consumer.offsets(forTimestamp: to, partitions: partitions) }
        var ranges: [KafkaTopicPartition: Range<Int64>] = [:]
        for partition in partitions {
            let marks = try await consumer.watermarks(topic: partition.topic, partition: partition.partition)
            // -1: no record at or after the time, so the window reaches the end of the log.
            let end = ends?[partition].flatMap { $0 >= 0 ? $0 : nil } ?? marks.high
            let start = starts[partition].flatMap { $0 >= 0 ? $0 : nil } ?? marks.high
            ranges[partition] = max(start, marks.low)..<max(start, marks.low, end)
        }
        return BackfillPlan(ranges: ranges)
    }
}
