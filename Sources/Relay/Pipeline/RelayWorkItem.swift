import Kafka

/// A consumed record the relay works on: delivered (or dead-lettered) and then settled.
struct RelayWorkItem: Sendable {
    /// The record.
    var message: KafkaConsumerMessage
    /// What the mapper decided.
    var decision: RelayDecision
    /// Its place in the ledger.
    var ticket: OffsetTicket
    /// It waited for the referee store (``RefereeGate``) and that wait is over: an account the
    /// store does not know now is not referred.
    var storeWaitOver = false
}
