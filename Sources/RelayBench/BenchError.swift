/// A benchmark row that could not complete, or completed with wrong counts.
struct BenchError: Error, CustomStringConvertible {
    /// What went wrong, in words a reader of the table understands.
    var reason: String

    /// Creates an error with a reason.
    init(_ reason: String) {
        self.reason = reason
    }

    var description: String { self.reason }
}
