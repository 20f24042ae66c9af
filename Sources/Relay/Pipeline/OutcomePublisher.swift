import Kafka
import Logging
import ReferralKit

/// Publishes the outcome of each referral event (and the dead letter of rejected, failed and
/// malformed records) and returns only once the broker acknowledged every record: a record's
/// offset is settled behind these acknowledgements, never before.
///
/// A failed publish is retried with capped exponential backoff until it succeeds, the task is
/// cancelled (shutdown or revocation: the record stays unsettled and is redelivered) or the
/// producer hits a fatal error (thrown; the relay stops).
struct OutcomePublisher: Sendable {
    let producer: KafkaProducer
    let topics: RelayConfiguration.Topics
    let metrics: RelayMetrics
    /// A backfill's run name: outcomes say `replay: true`, dead letters carry the name.
    let replayName: String?
    let tally: ReplayTally
    let logger: Logger

    /// Publishes the outcome of `request` (plus its dead letter when rejected or failed).
    func publish(request: DeliveryRequest, result: DeliveryResult, source message: KafkaConsumerMessage) async throws {
        let outcome = OutcomeRecord(request: request, result: result, replay: self.replayName != nil)
            .producerRecord(topic: self.topics.outcomes)
        if result.status.isDeadLettered {
            let letter = DeadLetter.record(
                for: message,
                topic: self.topics.dlq,
                stage: .deliver,
                reason: result.error ?? result.status.rawValue,
                httpStatus: result.httpStatus,
                replay: self.replayName
            )
            async let outcomeSent: Void = self.send(outcome, event: request.kind)
            async let letterSent: Void = self.send(letter, event: request.kind)
            try await outcomeSent
            try await letterSent
            self.metrics.deadLettered(stage: .deliver)
        } else {
            try await self.send(outcome, event: request.kind)
        }
        self.metrics.delivered(event: request.kind, status: result.status)
        self.tally.outcome(event: request.kind, status: result.status)
    }

    /// Publishes the dead letter of a record that could not be decoded.
    func publishMalformed(_ message: KafkaConsumerMessage, reason: String) async throws {
        let letter = DeadLetter.record(
            for: message, topic: self.topics.dlq, stage: .decode, reason: reason, replay: self.replayName)
        try await self.send(letter, event: nil)
        self.metrics.deadLettered(stage: .decode)
        self.tally.malformed()
    }

    private func send(_ record: KafkaProducerRecord, event: ReferralEvent.Kind?) async throws {
        var attempt = 0
        while true {
            do {
                _ = try await self.producer.send(record)
                return
            } catch {
                if error.isFatal { throw error }
                try Task.checkCancellation()
                attempt += 1
                if let event { self.metrics.retried(event: event, reason: .publish) }
                self.logger.warning(
                    "publishing to Kafka failed; retrying",
                    metadata: [
                        "topic": "\(record.topic)", "attempt": "\(attempt)", "error": "\(error)",
                    ]
                )
                // 100 ms doubling to 5 s: the broker or the network is down, not this record.
                let delay = min(5_000, 100 << min(attempt - 1, 6))
                try await Task.sleep(for: .milliseconds(delay))
            }
        }
    }
}
