/// The name of a `dlq redrive` run: part of its consumer group
/// (`<kafka.groupId>-redrive-<name>`) and of every record it re-produces, so the same command
/// resumes where it stopped and never re-drives a dead letter twice.
public enum RedriveRunName {
    /// The longest name accepted (a group id is a Kafka string; this keeps it readable).
    public static let maxLength = 100

    /// The name used when `--name` is not given: `all` without filters, otherwise the stage
    /// (or `any`) and a stable hash of the filter, e.g. `deliver-1f0c6e2a9b`. Running the same
    /// command again derives the same name, so it resumes; a different filter is a different run.
    public static func derived(from filter: DeadLetterFilter) -> String {
        guard !filter.isEmpty else { return "all" }
        // Times in milliseconds, so equal instants written with different offsets agree.
        let canonical = [
            "stage=\(filter.stage?.rawValue ?? "")",
            "from=\(filter.from.map(String.init) ?? "")",
            "to=\(filter.to.map(String.init) ?? "")",
            "reason=\(filter.reasonPattern ?? "")",
        ].joined(separator: "\n")
        let hex = String(fnv1a64(canonical), radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        return "\(filter.stage?.rawValue ?? "any")-\(padded.prefix(10))"
    }

    /// Checks a name given with `--name`: 1 to ``maxLength`` of `[A-Za-z0-9._-]`, so it is safe
    /// in a group id, a header and a log line.
    ///
    /// - Throws: ``DeadLetterToolError/Code/usage`` naming the rule.
    public static func validate(_ name: String) throws(DeadLetterToolError) {
        guard !name.isEmpty, name.utf8.count <= maxLength, DeadLetter.isValidTopicName(name) else {
            throw DeadLetterToolError(
                code: .usage,
                reason: "--name must be 1 to \(maxLength) characters of letters, digits, '.', '_' and '-'"
            )
        }
    }

    /// The consumer group of run `name` for the relay group `groupID`.
    public static func groupID(relayGroup groupID: String, run name: String) -> String {
        "\(groupID)-redrive-\(name)"
    }

    /// FNV-1a, 64 bits: tiny, and stable across processes and platforms (Swift's `Hasher` is
    /// seeded per process, so it cannot name anything that must survive a restart).
    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
