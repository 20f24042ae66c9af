extension DeadLetterFilter {
    /// Builds a filter from command-line text: `--stage decode|deliver`, `--from`/`--to` as
    /// RFC 3339 date-times (`2026-11-25T08:00:00Z`, any offset), `--reason` as a Swift `Regex`.
    ///
    /// - Throws: ``DeadLetterToolError/Code/usage`` naming the option at fault.
    public static func parse(
        stage: String?,
        from: String?,
        to: String?,
        reason: String?
    ) throws(DeadLetterToolError) -> DeadLetterFilter {
        var parsedStage: DeadLetterStage?
        if let stage {
            guard let value = DeadLetterStage(rawValue: stage) else {
                let stages = DeadLetterStage.allCases.map(\.rawValue).joined(separator: " or ")
                throw DeadLetterToolError(code: .usage, reason: "--stage must be \(stages), got '\(stage)'")
            }
            parsedStage = value
        }
        return try DeadLetterFilter(
            stage: parsedStage,
            from: try from.map { text throws(DeadLetterToolError) in try milliseconds(text, option: "--from") },
            to: try to.map { text throws(DeadLetterToolError) in try milliseconds(text, option: "--to") },
            reasonPattern: reason
        )
    }

    /// An RFC 3339 date-time as milliseconds since the epoch (a finer fraction is cut).
    private static func milliseconds(_ text: String, option: String) throws(DeadLetterToolError) -> Int64 {
        guard let instant = RFC3339.parse(text) else {
            throw DeadLetterToolError(
                code: .usage,
                reason: "\(option) must be an RFC 3339 date-time such as 2026-11-25T08:00:00Z, got '\(text)'")
        }
        return instant.seconds * 1000 + Int64(instant.fraction * 1000)
    }
}
