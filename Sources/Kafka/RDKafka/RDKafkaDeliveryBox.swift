/// The outcome of one enqueue attempt.
enum DeliveryOutcome: Sendable {
    case delivered(KafkaDeliveryReport)
    case failed(KafkaError)
    case queueFull
}

/// The per-message opaque: retained when the record is enqueued, released by the delivery
/// report callback (or at once when enqueueing fails).
final class RDKafkaDeliveryBox: Sendable {
    let continuation: CheckedContinuation<DeliveryOutcome, Never>

    init(continuation: CheckedContinuation<DeliveryOutcome, Never>) {
        self.continuation = continuation
    }
}
