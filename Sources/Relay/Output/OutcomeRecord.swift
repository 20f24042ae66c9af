import Foundation
import Kafka

/// One record of the outcome topic (output contract v1, `schemas/referral-outcome.v1.json`).
public struct OutcomeRecord: Sendable, Hashable {
    /// Builds the outcome of `request` delivered with `result`.
    public init(request: DeliveryRequest, result: DeliveryResult, replay: Bool = false) {
        fatalError("OutcomeRecord: not implemented yet")
    }

    /// The Kafka record for `topic`: key = account id, value = the JSON object.
    public func producerRecord(topic: String) -> KafkaProducerRecord {
        fatalError("OutcomeRecord: not implemented yet")
    }
}
