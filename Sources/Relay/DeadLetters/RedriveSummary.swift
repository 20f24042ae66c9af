/// What a `dlq redrive` run did (or, with `--dry-run`, would do).
public struct RedriveSummary: Sendable, Hashable {
    /// Dead letters read.
    public var read = 0
    /// Dead letters the filter selected.
    public var matched = 0
    /// Dead letters re-produced to their original topic (with `--dry-run`: that would be).
    public var redriven = 0
    /// Selected dead letters not re-driven, by reason (``RedriveSkipReason/description``).
    public var skipped: [String: Int] = [:]
    /// Re-driven dead letters by stage.
    public var byStage: [String: Int] = [:]
    /// Re-driven dead letters by original topic.
    public var byTopic: [String: Int] = [:]
    /// The first re-driven dead letters (kept for `--dry-run`'s preview).
    public var samples: [DeadLetterEntry] = []
    /// Whether a graceful shutdown (SIGTERM/SIGINT) stopped the run before the end; what it
    /// re-drove is committed, and the same command resumes.
    public var interrupted = false

    /// Creates an empty summary.
    public init() {}

    /// Counts one re-driven (or, dry, re-drivable) dead letter.
    mutating func countRedriven(_ entry: DeadLetterEntry, topic: String, keepingSamples limit: Int) {
        redriven += 1
        byStage[entry.stageText ?? "-", default: 0] += 1
        byTopic[topic, default: 0] += 1
        if samples.count < limit { samples.append(entry) }
    }

    /// The summary as lines for the terminal, counts sorted by name.
    ///
    /// - Parameter dryRun: Whether nothing was produced (the wording says "would").
    public func lines(dryRun: Bool) -> [String] {
        let verb = dryRun ? "would re-drive" : "re-driven"
        var lines = ["read \(read), matched \(matched), \(verb) \(redriven), skipped \(skipped.values.reduce(0, +))"]
        for (stage, count) in byStage.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(verb) stage \(stage): \(count)")
        }
        for (topic, count) in byTopic.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(verb) to \(topic): \(count)")
        }
        for (reason, count) in skipped.sorted(by: { $0.key < $1.key }) {
            lines.append("  skipped (\(reason)): \(count)")
        }
        return lines
    }
}
