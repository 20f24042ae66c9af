import Kafka
import Logging

/// `backfill --dry-run`: reads the window and decides every record as the relay would, sending
/// nothing, publishing nothing and committing nothing (the consumer is assigned manually and
/// never commits).
///
/// With the referee store on, a qualifying milestone without `mmref` is counted apart, not
/// guessed: whether a real run sends it depends on what the store knows when the milestone
/// comes (``Report/needRefereeStore``).
public enum BackfillDryRun {
    /// What a backfill of the window would do.
    public struct Report: Sendable, Hashable {
        /// Records in the window per topic.
        public var totals: [String: Int64] = [:]
        /// Records read.
        public var read = 0
        /// Referral events that would be sent, by event (`registered`, `qualified`).
        public var events: [String: Int] = [:]
        /// Qualifying milestones without `mmref`, with the referee store on: a real run sends each
        /// as `qualified` with its account's token when the store knows the account by then (its
        /// `account-created` earlier in the window, or read by a relay with the store on) and
        /// skips it as not referred otherwise. Telling which would take a restore of the whole
        /// referees topic and the run's own writes in timestamp order (the pipeline's store rules
        /// a second time), so the dry run counts them apart instead. Never among ``events``.
        public var needRefereeStore = 0
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
        // As the pipeline's mapper: with the store on, a milestone without `mmref` is not a skip.
        mapper.tokensFromStore = configuration.referees.enabled
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
            case .deliver(let request) where request.tokenFromStore:
                report.needRefereeStore += 1
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
