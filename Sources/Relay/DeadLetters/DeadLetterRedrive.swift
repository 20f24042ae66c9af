import Kafka
import Logging

/// `dlq redrive`: re-produces the selected dead letters to their original topics, in the run's
/// own consumer group (`<kafka.groupId>-redrive-<run>`), resuming from its committed offsets.
///
/// - Important: Offsets are committed only behind broker-acknowledged produces (the relay's
///   producer: `acks=all`, not idempotent, so a produce retried after a lost acknowledgement may
///   write a record twice; MMOLove deduplicates): a batch of sends is awaited, then the positions
///   after it are committed. Re-driven records of one account are not ordered among themselves
///   (a batch's sends run together). A run stopped by a graceful shutdown (run it in a `ServiceGroup`), or failing,
///   re-drives nothing twice when resumed; after a `kill -9` the records of the last batch
///   acknowledged but not yet committed (at most ``Options/batchSize``, a single record when
///   `--rate` paces the run) are produced again.
public enum DeadLetterRedrive {
    /// How to run.
    public struct Options: Sendable {
        /// The run's name (see ``RedriveRunName``).
        public var run: String
        /// Which dead letters to re-drive.
        public var filter: DeadLetterFilter
        /// Produce nothing and commit nothing; count and preview instead.
        public var dryRun: Bool = false
        /// Records per second at most; `nil` for no limit.
        public var rate: Double?
        /// Sends in flight before they are awaited and committed.
        public var batchSize: Int = 64
        /// Dead letters kept in ``RedriveSummary/samples``.
        public var sampleSize: Int = 5
        /// How long to wait for a record before giving up on a partition.
        public var idleTimeout: Duration = .seconds(30)
        /// Stop after this many re-driven records (a canary run; tests use it for a partial run).
        public var stopAfter: Int?

        /// Creates options.
        public init(run: String, filter: DeadLetterFilter) {
            self.run = run
            self.filter = filter
        }
    }

    /// Runs a redrive.
    ///
    /// - Parameters:
    ///   - kafka: The Kafka settings (brokers, group, dead-letter topic, passthrough properties).
    ///   - options: The run.
    ///   - logger: For librdkafka's logs.
    ///   - write: Receives progress lines (no newline): the run's name and group at start.
    /// - Returns: The counts.
    /// - Throws: ``DeadLetterToolError``; what was acknowledged before the failure is committed.
    public static func run(
        kafka: RelayConfiguration.Kafka,
        options: Options,
        logger: Logger,
        write: (String) -> Void
    ) async throws -> RedriveSummary {
        let group = RedriveRunName.groupID(relayGroup: kafka.groupID, run: options.run)
        let consumer: KafkaConsumer
        let producer: KafkaProducer?
        do {
            consumer = try KafkaConsumer(
                configuration: kafka.toolConsumerConfiguration(clientID: "referral-relay-dlq-redrive", groupID: group),
                logger: logger
            )
            producer =
                options.dryRun
                ? nil
                : try KafkaProducer(
                    configuration: kafka.producerConfiguration(clientID: "referral-relay-dlq-redrive"), logger: logger)
        } catch {
            throw DeadLetterToolError(code: .kafka, reason: "creating the Kafka clients: \(error)")
        }
        write(
            "redrive run '\(options.run)' (consumer group \(group)) from \(kafka.topics.dlq)"
                + (options.dryRun ? ", dry run: nothing is produced or committed" : ""))
        let redrive = DeadLetterRedriveLoop(
            reader: DeadLetterReader(consumer: consumer, topic: kafka.topics.dlq, idleTimeout: options.idleTimeout),
            producer: producer,
            options: options
        )
        let result: Result<RedriveSummary, any Error>
        do {
            result = .success(try await redrive.run(write: write))
        } catch {
            result = .failure(error)
        }
        await consumer.close()
        await producer?.close()
        return try result.get()
    }
}
