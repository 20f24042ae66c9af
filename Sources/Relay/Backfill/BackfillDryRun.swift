import Kafka
import Logging

/// `backfill --dry-run`: reads the window and decides every record as the relay would, sending
/// nothing, publishing nothing and committing nothing (the consumer is assigned manually and
/// never commits).
public enum BackfillDryRun {
    /// What a backfill of the window would do.
    public struct Report: Sendable, Hashable {
        /// Records in the window per topic.
        public var totals: [String: Int64] = [:]
        /// Records read.
        public var read = 0
        /// Referral events that would be sent, by event (`registered`, `qualified`).
        public var events: [String: Int] = [:]
        /// Records that are not referrals, by reason.
        public var skipped: [String: Int] = [:]
        /// Records that would be dead-lettered as malformed.
        public var malformed = 0
        /// The first referral events that would be sent.
        public var examples: [DeliveryRequest] = []
        /// Partitions whose last records never came (the read stopped after an idle spell).
        public var unfinished: [KafkaTopicPartition] = []
    }

    /// Reads and maps the window.
    ///
    /// - Parameters:
    ///   - configuration: The relay's configuration.
    ///   - window: The window.
    ///   - examples: How many events to keep as examples.
    ///   - idleLimit: How long to wait for a record before giving up on the rest.
    ///   - logger: The logger.
    /// - Throws: ``BackfillError`` for a missing topic, ``KafkaError`` from the broker.
    public static func run(
        configuration: RelayConfiguration,
        window: BackfillWindow,
        examples: Int = 5,
        idleLimit: Duration = .seconds(10),
        logger: Logger
    ) async throws -> Report {
        var consumerConfiguration = configuration.consumerConfiguration(clientID: relayClientID + "-dry-run")
        consumerConfiguration.groupID = Backfill.groupID(live: configuration.kafka.groupID, run: window.name)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        do {
            let report = try await self.read(
                consumer: consumer, configuration: configuration, window: window, examples: examples,
                idleLimit: idleLimit)
            await consumer.close()
            return report
        } catch {
            await consumer.close()
            throw error
        }
    }

    private static func read(
        consumer: KafkaConsumer,
        configuration: RelayConfiguration,
        window: BackfillWindow,
        examples: Int,
        idleLimit: Duration
    ) async throws -> Report {
        let topics = configuration.kafka.topics
        let plan = try await BackfillPlan.find(
            window, topics: [topics.accountCreated, topics.milestoneReached], consumer: consumer)
        var mapper = RelayInputMapper(
            topics: topics, qualifyingMilestones: configuration.qualifyingMilestones,
            defaultServerID: configuration.mmolove.defaultServerID, testEvents: configuration.mmolove.testEvents)
        mapper.maxInputBytes = configuration.maxInputBytes
        mapper.maxOutcomeBytes = configuration.kafka.messageMaxBytes
        var report = Report(totals: plan.totals)
        var remaining = plan.ranges.filter { !$0.value.isEmpty }
        guard !remaining.isEmpty else { return report }
        try await consumer.assign(remaining.mapValues(\.lowerBound))
        while !remaining.isEmpty {
            guard let event = try await Self.next(consumer.events, within: idleLimit) else {
                report.unfinished = remaining.keys.sorted { $0.description < $1.description }
                break
            }
            guard case .message(let message) = event, let range = remaining[message.topicPartition],
                range.contains(message.offset)
            else { continue }
            if message.offset + 1 >= range.upperBound { remaining[message.topicPartition] = nil }
            report.read += 1
            switch mapper.decide(message) {
            case .deliver(let request):
                report.events[request.kind.rawValue, default: 0] += 1
                if report.examples.count < examples { report.examples.append(request) }
            case .skip(let reason): report.skipped[reason.rawValue, default: 0] += 1
            case .malformed: report.malformed += 1
            }
        }
        return report
    }

    /// The next event, or `nil` when none comes within `limit` (or the consumer closed).
    private static func next(
        _ events: KafkaConsumerEvents,
        within limit: Duration
    ) async throws -> KafkaConsumerEvent? {
        try await withThrowingTaskGroup(of: KafkaConsumerEvent?.self) { group in
            group.addTask {
                // Iterators are handles on the consumer's one buffer: each reads the same events.
                var iterator = events.makeAsyncIterator()
                return try await iterator.next()
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
