/// What a backfill replays: the records whose timestamps fall in `[from, to)`, under a run name
/// that names its consumer group (`<group>-backfill-<name>`), so the same command run again
/// resumes where the last one stopped.
public struct BackfillWindow: Sendable, Hashable {
    /// The start, milliseconds since the epoch (inclusive).
    public var from: Int64
    /// The end, milliseconds since the epoch (exclusive); `nil`: the end of the topics as of
    /// the start of the run.
    public var to: Int64?
    /// The run name: lowercase letters, digits, `.`, `_`, `-`; at most 100 characters.
    public var name: String

    /// Parses and checks a window given on the command line.
    ///
    /// - Parameters:
    ///   - from: RFC 3339 start.
    ///   - to: RFC 3339 end, after `from`.
    ///   - name: The run name; derived from the window when `nil`, so a re-run of the same
    ///     command finds its group again.
    /// - Throws: ``BackfillError`` naming the argument at fault.
    public init(from: String, to: String?, name: String?) throws(BackfillError) {
        guard let start = RFC3339.parse(from) else {
            throw BackfillError(.badArgument, "--from: not an RFC 3339 date-time (e.g. 2026-11-01T00:00:00Z): \(from)")
        }
        self.from = Self.milliseconds(start)
        if let to {
            guard let end = RFC3339.parse(to) else {
                throw BackfillError(.badArgument, "--to: not an RFC 3339 date-time (e.g. 2026-11-02T00:00:00Z): \(to)")
            }
            self.to = Self.milliseconds(end)
            guard self.to! > self.from else { throw BackfillError(.badArgument, "--to must be after --from") }
        }
        let name = name ?? Self.defaultName(from: self.from, to: self.to)
        guard Self.isValidName(name) else {
            throw BackfillError(
                .badArgument,
                "--name: use 1-100 lowercase letters, digits, '.', '_' or '-' (got \(name.debugDescription))")
        }
        self.name = name
    }

    /// `20261101t000000z` or `20261101t000000z-20261102t120000z`: stable for the same window.
    static func defaultName(from: Int64, to: Int64?) -> String {
        func compact(_ milliseconds: Int64) -> String {
            // 2026-11-01T00:00:00.000Z → 20261101t000000z (milliseconds kept when not zero).
            let text = RFC3339.formatMilliseconds(epochMilliseconds: milliseconds)
            let millis = text.dropFirst(20).prefix(3)
            let base = text.prefix(19).filter { $0.isNumber || $0 == "T" }.lowercased()
            return base + (millis == "000" ? "" : millis) + "z"
        }
        return compact(from) + (to.map { "-" + compact($0) } ?? "")
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 100
            && name.utf8.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
            }
    }

    private static func milliseconds(_ instant: RFC3339.Instant) -> Int64 {
        instant.seconds * 1000 + Int64((instant.fraction * 1000).rounded(.down))
    }
}

/// Why a backfill cannot run or finish.
public struct BackfillError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable, Hashable {
        /// A command-line argument is invalid (exit 64).
        case badArgument
        /// The broker does not have an input topic.
        case missingTopic
        /// The run stopped before the window was done (shutdown signal or a fatal error).
        case interrupted
    }

    /// The kind.
    public var code: Code
    /// What to tell the operator.
    public var reason: String

    init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { self.reason }
}
