import Kafka

/// Decides what to do with each consumed record: decode it against input contract v1, then map
/// a referred player's event to a ``DeliveryRequest`` (or skip it, or call it malformed).
///
/// Pure and synchronous: no I/O, so it can be fuzzed and benchmarked on its own.
public struct RelayInputMapper: Sendable {
    /// The topic names (which one a record came from decides its schema).
    public var topics: RelayConfiguration.Topics
    /// Qualifying milestones; empty means every milestone qualifies.
    public var qualifyingMilestones: Set<String>
    /// The server id for events that carry none.
    public var defaultServerID: String?
    /// Send every event as a dry run.
    public var testEvents: Bool

    /// Creates a mapper.
    public init(
        topics: RelayConfiguration.Topics,
        qualifyingMilestones: Set<String>,
        defaultServerID: String?,
        testEvents: Bool = false
    ) {
        self.topics = topics
        self.qualifyingMilestones = qualifyingMilestones
        self.defaultServerID = defaultServerID
        self.testEvents = testEvents
    }

    /// Decides what to do with `message`.
    public func decide(_ message: KafkaConsumerMessage) -> RelayDecision {
        fatalError("RelayInputMapper.decide: not implemented yet")
    }
}
