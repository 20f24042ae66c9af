/// The outcome of one enqueue attempt.
enum DeliveryOutcome: Sendable {
    case delivered(KafkaDeliveryReport)
    case failed(KafkaError)
    case queueFull
}

/// The per-message opaque: retained when the record is enqueued, released by the delivery
/// report callback (or at once when enqueueing fails).
///
/// Its continuation is unchecked: the box is released exactly once, by whoever resumes it (the
/// callback, or ``KafkaProducer`` when librdkafka refused the record), and a checked one is one
/// more allocation per record on the relay's hottest path.
final class RDKafkaDeliveryBox: Sendable {
    let continuation: UnsafeContinuation<DeliveryOutcome, Never>

    init(continuation: UnsafeContinuation<DeliveryOutcome, Never>) {
        self.continuation = continuation
    }
}
