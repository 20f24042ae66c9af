/// Which dead letters a `dlq` command acts on: a stage, a window of the dead letters' own
/// record timestamps, and a regular expression searched in the reason. An unset criterion
/// matches everything.
///
/// A value: built once from the command line, then asked about each record with plain values.
public struct DeadLetterFilter: Sendable {
    /// Only this stage; `nil` for both.
    public var stage: DeadLetterStage?
    /// Only dead letters written at or after this time (milliseconds since the epoch, inclusive).
    public var from: Int64?
    /// Only dead letters written before this time (milliseconds since the epoch, exclusive), so
    /// that consecutive windows `[a, b)`, `[b, c)` never select a record twice.
    public var to: Int64?
    /// The reason pattern as given (Swift `Regex` syntax), for display and the run name.
    public let reasonPattern: String?
    /// The compiled pattern. `Regex` is not `Sendable`, so it is compiled here once and the
    /// value is shared only between tasks that read it (see ``Pattern``).
    private let reason: Pattern?

    /// Creates a filter.
    ///
    /// - Parameters:
    ///   - stage: Only this stage.
    ///   - from: Inclusive lower bound of the record timestamp, in milliseconds.
    ///   - to: Exclusive upper bound of the record timestamp, in milliseconds.
    ///   - reasonPattern: A regular expression searched anywhere in the reason (not anchored:
    ///     add `^…$` to match it whole).
    /// - Throws: ``DeadLetterToolError/Code/usage`` for a pattern that does not compile or a
    ///   window that selects nothing (`from` at or after `to`).
    public init(
        stage: DeadLetterStage? = nil,
        from: Int64? = nil,
        to: Int64? = nil,
        reasonPattern: String? = nil
    ) throws(DeadLetterToolError) {
        if let from, let to, from >= to {
            throw DeadLetterToolError(code: .usage, reason: "--from must be before --to")
        }
        self.stage = stage
        self.from = from
        self.to = to
        self.reasonPattern = reasonPattern
        if let reasonPattern {
            do {
                self.reason = Pattern(regex: try Regex(reasonPattern))
            } catch {
                throw DeadLetterToolError(
                    code: .usage, reason: "--reason is not a valid regular expression: \(error)")
            }
        } else {
            self.reason = nil
        }
    }

    /// Whether no criterion is set (every dead letter matches).
    public var isEmpty: Bool { stage == nil && from == nil && to == nil && reasonPattern == nil }

    /// Whether `entry` meets every criterion. A dead letter without a timestamp never matches a
    /// window; one without a stage never matches a stage.
    public func matches(_ entry: DeadLetterEntry) -> Bool {
        if let stage, entry.stage != stage { return false }
        if from != nil || to != nil {
            guard let timestamp = entry.timestamp else { return false }
            if let from, timestamp < from { return false }
            if let to, timestamp >= to { return false }
        }
        if let reason, !reason.isFound(in: entry.reason) { return false }
        return true
    }

    /// What `dlq redrive` does with `entry` in run `run`.
    ///
    /// - Parameters:
    ///   - entry: A dead letter.
    ///   - run: The run's name.
    ///   - deadLetterTopic: The dead-letter topic, which is never a destination.
    public func decision(for entry: DeadLetterEntry, run: String, deadLetterTopic: String) -> RedriveDecision {
        guard matches(entry) else { return .notMatched }
        // A record this run re-drove that failed again: re-driving it once more in the same run
        // could loop for ever; a new run name is the operator's way to say "once more".
        if entry.redriveRuns.contains(run) { return .skip(.alreadyRedriven) }
        guard let topic = entry.originalTopic, DeadLetter.isValidTopicName(topic) else {
            return .skip(.noOriginalTopic)
        }
        if topic == deadLetterTopic { return .skip(.originalIsDeadLetterTopic) }
        if entry.truncated != nil { return .skip(.truncated) }
        return .redrive(topic: topic)
    }

    /// A compiled regular expression.
    ///
    /// `@unchecked Sendable`: a `Regex` is an immutable value once built, and matching only
    /// reads it; the standard library does not mark it `Sendable` for other reasons (its output
    /// type may be anything, here it is `AnyRegexOutput`, which is never shared).
    private struct Pattern: @unchecked Sendable {
        let regex: Regex<AnyRegexOutput>

        func isFound(in text: String) -> Bool {
            (try? regex.firstMatch(in: text)) != nil
        }
    }
}
