import Kafka

/// A consumed record the relay works on: delivered (or dead-lettered) and then settled.
struct RelayWorkItem: Sendable {
    /// The record.
    var message: KafkaConsumerMessage
    /// What the mapper decided.
    var decision: RelayDecision
    /// Its place in the ledger.
    var ticket: OffsetTicket
}
