import Kafka
import Logging

/// `dlq list`: reads the dead-letter topic from the beginning (or from `--from`) to the end
/// offsets captured at start and prints the dead letters the filter selects. Reads only:
/// manual assignment, nothing committed, so it always finishes and changes nothing.
public enum DeadLetterList {
    /// What a listing saw.
    public struct Summary: Sendable, Hashable {
        /// Dead letters read.
        public var read = 0
        /// Dead letters printed.
        public var printed = 0
        /// Whether it stopped at `--limit` before the end.
        public var limited = false
    }

    /// Lists dead letters.
    ///
    /// - Parameters:
    ///   - kafka: The Kafka settings (brokers, the dead-letter topic, passthrough properties).
    ///   - filter: Which dead letters to print.
    ///   - format: Table or JSON lines.
    ///   - limit: Print at most this many; `nil` for all.
    ///   - idleTimeout: How long to wait for a record before giving up on a partition.
    ///   - logger: For librdkafka's logs.
    ///   - write: Receives each output line (no newline).
    /// - Throws: ``DeadLetterToolError``.
    public static func run(
        kafka: RelayConfiguration.Kafka,
        filter: DeadLetterFilter,
        format: DeadLetterFormat,
        limit: Int? = nil,
        idleTimeout: Duration = .seconds(30),
        logger: Logger,
        write: (String) -> Void
    ) async throws -> Summary {
        let consumer: KafkaConsumer
        do {
            // A group id is required even though nothing is committed under it.
            consumer = try KafkaConsumer(
                configuration: kafka.toolConsumerConfiguration(
                    clientID: "referral-relay-dlq-list", groupID: "\(kafka.groupID)-dlq-list"),
                logger: logger
            )
        } catch {
            throw DeadLetterToolError(code: .kafka, reason: "creating the consumer: \(error)")
        }
        let reader = DeadLetterReader(consumer: consumer, topic: kafka.topics.dlq, idleTimeout: idleTimeout)
        var summary = Summary()
        do {
            let plan = try await reader.plan(from: filter.from, resume: false)
            if let header = format.header { write(header) }
            if limit == 0 {
                summary.limited = true
            } else {
                let unfinished = try await reader.read(plan) { message in
                    summary.read += 1
                    let entry = DeadLetterEntry(message: message)
                    guard filter.matches(entry) else { return true }
                    write(format.line(for: entry))
                    summary.printed += 1
                    if let limit, summary.printed >= limit {
                        summary.limited = true
                        return false
                    }
                    return true
                }
                try Self.checkFinished(unfinished, plan: plan)
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        return summary
    }

    /// Throws ``DeadLetterToolError/Code/incomplete`` naming the partitions not read to their end.
    static func checkFinished(_ unfinished: [KafkaTopicPartition: Int64], plan: DeadLetterReadPlan)
        throws(DeadLetterToolError)
    {
        guard !unfinished.isEmpty else { return }
        let parts = unfinished.sorted { $0.key.partition < $1.key.partition }.map { partition, next in
            "\(partition) at offset \(next) of \(plan.ranges[partition]?.upperBound ?? next)"
        }
        throw DeadLetterToolError(
            code: .incomplete,
            reason: "no record arrived for the idle timeout before the end of \(parts.joined(separator: ", "))"
        )
    }
}
