import Foundation
import Kafka
import Logging
import Synchronization

/// Reads the outcome and dead-letter topics while the relay runs, exactly as the reward service
/// (and an operator watching the DLQ) would: a plain consumer assigned to every partition from
/// the beginning, outside the relay's group.
final class DemoObserver: Sendable {
    /// What has been read so far.
    struct Snapshot: Sendable {
        /// Outcome records, in arrival order.
        var outcomes: [DemoReceivedOutcome] = []
        /// Dead letters, in arrival order.
        var deadLetters: [DemoReceivedDeadLetter] = []
        /// The next offset to read per partition (what has been seen).
        var positions: [KafkaTopicPartition: Int64] = [:]
        /// Why reading stopped early, if it did.
        var failure: String?
    }

    private let consumer: KafkaConsumer
    private let outcomesTopic: String
    private let partitions: [KafkaTopicPartition]
    private let state = Mutex(Snapshot())

    /// Creates the consumer and assigns it.
    ///
    /// - Parameters:
    ///   - bootstrapServers: The broker.
    ///   - outcomesTopic: The outcome topic.
    ///   - dlqTopic: The dead-letter topic.
    ///   - partitions: Partitions per topic.
    ///   - logger: The consumer's logger.
    init(
        bootstrapServers: [String],
        outcomesTopic: String,
        dlqTopic: String,
        partitions: Int,
        logger: Logger
    ) async throws {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: bootstrapServers, groupID: "referral-relay-demo-observer")
        configuration.clientID = "referral-relay-demo-observer"
        configuration.properties["fetch.wait.max.ms"] = "50"
        self.consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        self.outcomesTopic = outcomesTopic
        self.partitions = [outcomesTopic, dlqTopic].flatMap { topic in
            (0..<Int32(partitions)).map { KafkaTopicPartition(topic: topic, partition: $0) }
        }
        try await self.consumer.assign(
            Dictionary(uniqueKeysWithValues: self.partitions.map { ($0, KafkaOffset.beginning) }))
    }

    /// What has been read so far.
    var snapshot: Snapshot { self.state.withLock { $0 } }

    /// Reads until ``close()``; a consumer failure ends the reading early (the checks then
    /// report what is missing).
    func runUntilClosed() async {
        do {
            for try await event in self.consumer.events {
                guard case .message(let message) = event else { continue }
                self.record(message)
            }
        } catch {
            self.state.withLock { $0.failure = "\(error)" }
        }
    }

    /// Waits until everything written to both topics so far has been read, for up to `timeout`.
    ///
    /// - Returns: Whether it caught up.
    func catchUp(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        var ends: [KafkaTopicPartition: Int64] = [:]
        for partition in self.partitions {
            guard
                let marks = try? await self.consumer.watermarks(
                    topic: partition.topic, partition: partition.partition, timeout: .seconds(5))
            else { return false }
            ends[partition] = marks.high
        }
        while ContinuousClock.now < deadline {
            let positions = self.state.withLock { $0.positions }
            if ends.allSatisfy({ ($0.value == 0) || (positions[$0.key] ?? 0) >= $0.value }) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Leaves (ends ``run()``).
    func close() async {
        await self.consumer.close()
    }

    private func record(_ message: KafkaConsumerMessage) {
        let key = message.key.map { String(decoding: $0, as: UTF8.self) }
        if message.topic == self.outcomesTopic {
            let raw = String(decoding: message.value, as: UTF8.self)
            var received = DemoReceivedOutcome(key: key, raw: raw)
            do {
                received.outcome = try JSONDecoder().decode(DemoOutcome.self, from: Data(message.value))
            } catch {
                received.decodeError = "\(error)"
            }
            self.state.withLock {
                $0.outcomes.append(received)
                $0.positions[message.topicPartition] = message.offset + 1
            }
        } else {
            var headers: [String: String] = [:]
            for header in message.headers {
                headers[header.key] = header.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            }
            let letter = DemoReceivedDeadLetter(key: message.key, value: message.value, headers: headers)
            self.state.withLock {
                $0.deadLetters.append(letter)
                $0.positions[message.topicPartition] = message.offset + 1
            }
        }
    }
}
