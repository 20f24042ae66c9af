import Foundation
import Kafka
import Logging

/// A plain consumer with manual assignment to every partition of some topics, from the beginning
/// (or from their ends): the raw reader used for ceilings and for reading outcomes.
struct TopicReader: Sendable {
    /// What the reader saw.
    struct Arrival: Sendable {
        /// When this process received the record, microseconds since the epoch.
        var arrivalMicroseconds: Int64
        /// The record.
        var message: KafkaConsumerMessage
    }

    /// The consumer, assigned and fetching.
    let consumer: KafkaConsumer

    /// Creates the consumer and assigns it every partition of `partitions` from the beginning,
    /// or from their current ends.
    ///
    /// - Parameters:
    ///   - broker: The broker.
    ///   - partitions: The partitions to read.
    ///   - fetchWaitMilliseconds: `fetch.wait.max.ms` (the mock answers an empty fetch only when it
    ///     runs out, so latency readers set it low); `nil` keeps librdkafka's default (500).
    ///   - bufferCapacity: The binding's event buffer; `nil` keeps its default (1,024, as the
    ///     relay's). When it fills, the binding pauses fetching and drops librdkafka's prefetch.
    ///   - fromEnd: Read only what arrives from now on (a later phase on a topic that holds an
    ///     earlier phase's records, which a reader from the beginning would read first, on the
    ///     same two cores as the relay it measures).
    /// - Throws: ``KafkaError``; ``BenchError`` for a partition without an end offset.
    init(
        broker: BenchBroker,
        partitions: [KafkaTopicPartition],
        fetchWaitMilliseconds: Int? = nil,
        bufferCapacity: Int? = nil,
        fromEnd: Bool = false
    ) async throws {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: broker.brokers, groupID: "bench-reader-\(UUID().uuidString)")
        configuration.clientID = "bench-reader"
        if let bufferCapacity { configuration.bufferCapacity = bufferCapacity }
        if let fetchWaitMilliseconds {
            configuration.properties["fetch.wait.max.ms"] = "\(fetchWaitMilliseconds)"
        }
        self.consumer = try KafkaConsumer(configuration: configuration, logger: broker.logger)
        // A fresh consumer assigned logical offsets before it knows the partitions' leaders
        // retries their offset lookup after 500 ms (librdkafka 2.0.2): its first record came
        // 503-547 ms after the assignment, 0-4 ms with explicit offsets, 44-47 ms (five of six)
        // after asking the leaders first. Asked first, as the relay's own consumers have (the
        // group's subscription, the referee store's watermarks). The answer is also where a
        // reader `fromEnd` starts: explicit offsets, so nothing published after the question
        // is missed (the logical end would be looked up only after the assignment).
        let ends = try await self.consumer.endOffsets(of: partitions)
        var start: [KafkaTopicPartition: Int64] = [:]
        for partition in partitions {
            guard fromEnd else {
                start[partition] = KafkaOffset.beginning
                continue
            }
            // `endOffsets` throws rather than leave a partition without one.
            guard let end = ends[partition] else { throw BenchError("no end offset for \(partition)") }
            start[partition] = end
        }
        try await self.consumer.assign(start)
    }

    /// Reads until `isDone` says so after a record, or until `timeout` passes; then closes.
    ///
    /// - Parameters:
    ///   - timeout: The longest the read may take.
    ///   - onArrival: Called for every record, in arrival order; returns `true` when reading is done.
    /// - Returns: Whether `onArrival` said done (`false`: timed out or the consumer ended).
    func read(timeout: Duration, _ onArrival: @escaping @Sendable (Arrival) -> Bool) async throws -> Bool {
        let consumer = self.consumer
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for try await event in consumer.events {
                    guard case .message(let message) = event else { continue }
                    if onArrival(Arrival(arrivalMicroseconds: WallClock.microseconds(), message: message)) {
                        return true
                    }
                }
                return false
            }
            group.addTask {
                // Closing ends the event sequence, which ends the reading task.
                try? await Task.sleep(for: timeout)
                await consumer.close()
                return false
            }
            let done = try await group.next() ?? false
            group.cancelAll()
            await consumer.close()
            return done
        }
    }
}
