import Kafka
import Logging
import ReferralKit

/// Publishes the outcome of each referral event (and the dead letter of rejected, failed and
/// malformed records) and returns only once the broker acknowledged every record: a record's
/// offset is settled behind these acknowledgements, never before.
///
/// A publish that failed transiently (a broker down, a timeout) is retried with capped
/// exponential backoff until it succeeds, the task is cancelled (shutdown or revocation: the
/// record stays unsettled and is redelivered) or the producer hits a fatal error (thrown; the
/// relay stops). A publish that can never succeed (``KafkaError/RecordFailure/permanent``: too
/// large, invalid; or an unknown topic past ``unknownTopicGrace``) settles the record anyway:
/// - an outcome too large is published in its reduced form (``OutcomeRecord/reducedForm()``);
///   an outcome that cannot be published at all is replaced by a dead letter of its source
///   record saying so;
/// - a dead letter too large keeps as much of the original as fits
///   (``DeadLetter/fitted(_:context:message:maxBytes:)``); one that cannot be published at all
///   is logged as an error and the record settles without it.
struct OutcomePublisher: Sendable {
    let producer: KafkaProducer
    let topics: RelayConfiguration.Topics
    let metrics: RelayMetrics
    /// A backfill's run name: outcomes say `replay: true`, dead letters carry the name.
    let replayName: String?
    let tally: ReplayTally
    let logger: Logger
    /// The largest record the producer sends (its `message.max.bytes`).
    var maxRecordBytes: Int = RelayConfiguration.Kafka.defaultMessageMaxBytes
    /// How long a topic the broker calls unknown is retried before the record settles without
    /// the record for it (a new topic's metadata may take a moment to propagate).
    var unknownTopicGrace: Duration = .seconds(300)
    /// Where a partition held by a failing publish is reported (for `/readyz`).
    var problems = PublishProblems()
    /// The trace context put on outcomes and dead letters (``RelayTracer/propagationHeaders(for:)``).
    var tracer: RelayTracer = .disabled

    /// Publishes the outcome of `request` (plus its dead letter when rejected or failed).
    func publish(request: DeliveryRequest, result: DeliveryResult, source message: KafkaConsumerMessage) async throws {
        let outcome = OutcomeRecord(request: request, result: result, replay: self.replayName != nil)
        if result.status.isDeadLettered {
            try await self.publishWithDeadLetter(outcome, request: request, result: result, source: message)
        } else if let problem = try await self.publishOutcome(outcome, source: message) {
            try await self.deadLetterUnpublishable(problem, request: request, result: result, source: message)
        }
        self.metrics.delivered(event: request.kind, status: result.status, server: request.serverID)
        self.tally.outcome(event: request.kind, status: result.status)
    }

    /// The outcome and dead letter of a rejected or failed event, published side by side.
    ///
    /// Not inlined, nor is ``deadLetterUnpublishable(_:request:result:source:)``: an async
    /// function's frame holds room for every path it may take (two `async let` children here),
    /// and every record's task allocated that frame, about 3.8 KB, from `malloc`.
    @inline(never)
    private func publishWithDeadLetter(
        _ outcome: OutcomeRecord, request: DeliveryRequest, result: DeliveryResult, source message: KafkaConsumerMessage
    ) async throws {
        async let outcomeProblem = self.publishOutcome(outcome, source: message)
        async let letterSent: Void = self.publishDeadLetter(
            message, stage: .deliver, reason: result.error ?? result.status.rawValue,
            httpStatus: result.httpStatus, event: request.kind, server: request.serverID)
        let problem = try await outcomeProblem
        try await letterSent
        if let problem {
            // The dead letter, published above, is the trace of this event.
            self.logger.error(
                "outcome could not be published; its dead letter was",
                metadata: self.metadata(message).merging(["error": "\(problem)"]) { $1 })
        }
        self.metrics.deadLettered(stage: .deliver)
    }

    /// MMOLove took the event but no outcome can carry it: a dead letter of the source says so,
    /// for a person to act on (a topic limit to raise, then a re-drive).
    @inline(never)
    private func deadLetterUnpublishable(
        _ problem: String, request: DeliveryRequest, result: DeliveryResult, source message: KafkaConsumerMessage
    ) async throws {
        self.logger.error(
            "outcome could not be published; dead-lettering its source record",
            metadata: self.metadata(message).merging(["error": "\(problem)"]) { $1 })
        try await self.publishDeadLetter(
            message, stage: .deliver,
            reason: "outcome \(result.status.rawValue) could not be published: \(problem)",
            httpStatus: result.httpStatus, event: request.kind, server: request.serverID)
        self.metrics.deadLettered(stage: .deliver)
    }

    /// Publishes the dead letter of a record that could not be decoded.
    func publishMalformed(_ message: KafkaConsumerMessage, reason: String) async throws {
        try await self.publishDeadLetter(
            message, stage: .decode, reason: reason, httpStatus: nil, event: nil, server: nil)
        self.metrics.deadLettered(stage: .decode)
        self.tally.malformed()
    }

    /// Publishes `outcome`; when it is refused for its size (librdkafka's own check against
    /// `message.max.bytes`, or the broker's), publishes its reduced form, smaller each time it is
    /// refused again (``OutcomeRecord/producerRecord(topic:maxBytes:)``).
    ///
    /// - Returns: `nil` once published; why not when it can never be.
    private func publishOutcome(_ outcome: OutcomeRecord, source message: KafkaConsumerMessage) async throws
        -> String?
    {
        let trace = self.tracer.propagationHeaders(for: message)
        var record = outcome.producerRecord(topic: self.topics.outcomes)
        record.headers += trace
        while true {
            let error: KafkaError
            switch try await self.send(record, event: outcome.event, server: outcome.serverID, source: message) {
            case .sent: return nil
            case .refused(let refusal): error = refusal
            }
            guard error.isRecordTooLarge else { return "\(error.code.name): \(error.reason)" }
            // Below the producer's limit, or below what the broker just refused.
            let limit = min(self.maxRecordBytes, record.sizeEstimate - 1)
            // Room for the trace headers (about 70 bytes, a `tracestate` up to 512 more) is kept;
            // when the outcome fits only without them, they are what is given up.
            let traceBytes = trace.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) + 10 }
            let smaller: KafkaProducerRecord
            if var traced = outcome.producerRecord(topic: self.topics.outcomes, maxBytes: limit - traceBytes) {
                traced.headers += trace
                smaller = traced
            } else if let bare = outcome.producerRecord(topic: self.topics.outcomes, maxBytes: limit) {
                smaller = bare
            } else {
                return "larger than \(limit) bytes even reduced (account_id, mmref and server_id alone)"
            }
            self.logger.warning(
                "outcome too large to publish; publishing its reduced form",
                metadata: self.metadata(message).merging([
                    "size": "\(record.sizeEstimate)", "limit": "\(limit)", "error": "\(error.code.name)",
                ]) { $1 })
            record = smaller
        }
    }

    /// Publishes the dead letter of `message`, cut down to fit when it is too large; logs and
    /// returns when it can never be published.
    private func publishDeadLetter(
        _ message: KafkaConsumerMessage,
        stage: DeadLetterStage,
        reason: String,
        httpStatus: Int?,
        event: ReferralEvent.Kind?,
        server: String?
    ) async throws {
        let trace = self.tracer.propagationHeaders(for: message)
        func letter(maxBytes: Int?) -> KafkaProducerRecord {
            DeadLetter.record(
                for: message, topic: self.topics.dlq, stage: stage, reason: reason, httpStatus: httpStatus,
                replay: self.replayName, trace: trace, maxBytes: maxBytes)
        }
        var record = letter(maxBytes: nil)
        while true {
            let error: KafkaError
            switch try await self.send(record, event: event, server: server, source: message) {
            case .sent:
                self.logDeadLetter(
                    record, of: message, stage: stage, reason: reason, httpStatus: httpStatus, event: event,
                    server: server)
                return
            case .refused(let refusal): error = refusal
            }
            if error.isRecordTooLarge {
                // First down to the producer's limit, then by halves (the broker's is lower), until
                // only the context headers are left: then nothing smaller can be built.
                let limit = record.sizeEstimate > self.maxRecordBytes ? self.maxRecordBytes : record.sizeEstimate / 2
                let smaller = letter(maxBytes: limit)
                if smaller.sizeEstimate < record.sizeEstimate {
                    self.logger.warning(
                        "dead letter too large to publish; publishing what fits",
                        metadata: self.metadata(message).merging([
                            "size": "\(record.sizeEstimate)", "limit": "\(limit)", "error": "\(error.code.name)",
                        ]) { $1 })
                    record = smaller
                    continue
                }
            }
            self.logger.error(
                "dead letter could not be published; the record is settled without it",
                metadata: self.metadata(message).merging(["error": "\(error)", "reason": "\(reason)"]) { $1 })
            return
        }
    }

    /// How one record's send ended.
    private enum SendResult {
        /// The broker acknowledged it.
        case sent
        /// It can never be sent as it is.
        case refused(KafkaError)
    }

    /// Sends `record`, retrying transient failures without limit.
    ///
    /// - Throws: A fatal ``KafkaError`` or `CancellationError`.
    private func send(
        _ record: KafkaProducerRecord,
        event: ReferralEvent.Kind?,
        server: String?,
        source message: KafkaConsumerMessage
    ) async throws -> SendResult {
        var attempt = 0
        var unknownSince: ContinuousClock.Instant?
        defer { if attempt > 0 { self.problems.clear(message.topicPartition, offset: message.offset) } }
        while true {
            do {
                _ = try await self.producer.send(record)
                return .sent
            } catch {
                switch error.recordFailure {
                case .fatal:
                    throw error
                case .permanent:
                    return .refused(error)
                case .unknownTopic:
                    let now = ContinuousClock.now
                    let since = unknownSince ?? now
                    unknownSince = since
                    if now - since >= self.unknownTopicGrace { return .refused(error) }
                case .transient:
                    unknownSince = nil
                }
                try Task.checkCancellation()
                attempt += 1
                self.problems.record(
                    message.topicPartition, offset: message.offset,
                    "publishing to \(record.topic) failing: \(error.code.name)")
                if let event { self.metrics.retried(event: event, reason: .publish, server: server) }
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

    /// The one line an operator reads per dead letter, once the broker acknowledged it: where
    /// the record was, the stage and the reason, and for stage `deliver` the event, its server
    /// and the last HTTP status (never the record's key or value).
    private func logDeadLetter(
        _ letter: KafkaProducerRecord,
        of message: KafkaConsumerMessage,
        stage: DeadLetterStage,
        reason: String,
        httpStatus: Int?,
        event: ReferralEvent.Kind?,
        server: String?
    ) {
        var metadata = self.metadata(message)
        metadata[PipelineLogMetadata.stage] = "\(stage.rawValue)"
        metadata[PipelineLogMetadata.reason] = "\(reason)"
        metadata[PipelineLogMetadata.deadLetterTopic] = "\(letter.topic)"
        if let event { metadata[DeliveryLogMetadata.event] = "\(event.rawValue)" }
        if let server { metadata[DeliveryLogMetadata.serverID] = "\(server)" }
        if let httpStatus { metadata[DeliveryLogMetadata.httpStatus] = "\(httpStatus)" }
        if let truncated = letter.headers.last(where: { $0.key == DeadLetter.truncatedHeader })?.value {
            metadata[PipelineLogMetadata.truncated] = "\(String(decoding: truncated, as: UTF8.self))"
        }
        self.logger.warning("record dead-lettered", metadata: metadata)
    }

    private func metadata(_ message: KafkaConsumerMessage) -> Logger.Metadata {
        [
            PipelineLogMetadata.topic: "\(message.topic)",
            PipelineLogMetadata.partition: "\(message.partition)",
            PipelineLogMetadata.offset: "\(message.offset)",
        ]
    }
}
