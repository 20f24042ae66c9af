import Logging
import ReferralKit

/// What the relay did over one interval, for the `relay progress` log line an operator reads
/// instead of one line per event: records read, outcomes by event and status, attempts repeated
/// by reason, dead letters by stage, records skipped by reason.
///
/// A value counted with plain calls (`RelayProgressTests`); ``RelayMetrics`` keeps one under
/// its lock, fed by the same calls that count the Prometheus series, so the line and `/metrics`
/// always agree. The pipeline takes it every ``interval`` (``RelayPipeline/progressTicker(every:)``).
struct RelayProgress: Sendable, Hashable {
    /// How often the summary is logged: a minute.
    static let interval: Duration = .seconds(60)

    /// An outcome's event and status.
    struct Outcome: Sendable, Hashable {
        var event: ReferralEvent.Kind
        var status: OutcomeStatus
    }

    /// Records read from the input topics.
    private(set) var read = 0
    /// Outcomes published, by event and status.
    private(set) var outcomes: [Outcome: Int] = [:]
    /// Attempts repeated, by reason.
    private(set) var retries: [RetryReason: Int] = [:]
    /// Dead letters published, by stage.
    private(set) var deadLetters: [DeadLetterStage: Int] = [:]
    /// Records settled without a request, by reason.
    private(set) var skipped: [SkipReason: Int] = [:]

    /// One record read.
    mutating func recordRead() {
        self.read += 1
    }

    /// One outcome published.
    mutating func recordOutcome(event: ReferralEvent.Kind, status: OutcomeStatus) {
        self.outcomes[Outcome(event: event, status: status), default: 0] += 1
    }

    /// One attempt repeated.
    mutating func recordRetry(reason: RetryReason) {
        self.retries[reason, default: 0] += 1
    }

    /// One dead letter published.
    mutating func recordDeadLetter(stage: DeadLetterStage) {
        self.deadLetters[stage, default: 0] += 1
    }

    /// One record skipped.
    mutating func recordSkip(reason: SkipReason) {
        self.skipped[reason, default: 0] += 1
    }

    /// The log line's metadata: every count under a ``ProgressLogMetadata`` key, the groups as
    /// objects keyed by label (`{"registered": {"advanced": "3"}}`); a group with nothing to
    /// count is an empty object, so every line has the same keys.
    ///
    /// - Parameter seconds: How long the counts were collected.
    func metadata(seconds: Int64) -> Logger.Metadata {
        var outcomes: [String: Logger.Metadata] = [:]
        for (outcome, count) in self.outcomes {
            outcomes[outcome.event.rawValue, default: [:]][outcome.status.rawValue] = "\(count)"
        }
        return [
            ProgressLogMetadata.seconds: "\(seconds)",
            ProgressLogMetadata.read: "\(self.read)",
            ProgressLogMetadata.outcomes: .dictionary(outcomes.mapValues { .dictionary($0) }),
            ProgressLogMetadata.retries: Self.group(self.retries),
            ProgressLogMetadata.deadLetters: Self.group(self.deadLetters),
            ProgressLogMetadata.skipped: Self.group(self.skipped),
        ]
    }

    private static func group<Label: RawRepresentable<String>>(_ counts: [Label: Int]) -> Logger.Metadata.Value {
        .dictionary(Logger.Metadata(uniqueKeysWithValues: counts.map { ($0.key.rawValue, "\($0.value)") }))
    }
}
