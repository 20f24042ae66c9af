/// One measured row: the relay's number next to its ceiling, every figure behind them, and
/// whether the counts were right.
struct RowResult: Codable, Sendable {
    /// Which row.
    var row: BenchRow
    /// The stage column.
    var stage: String
    /// What was measured (the "what" column).
    var what: String
    /// The result column, formatted.
    var result: String
    /// The ceiling column, formatted ("-" when none).
    var ceiling: String
    /// result ÷ ceiling (for latency: floor ÷ result of p50; for RSS: peak ÷ steady), when meaningful.
    var ratio: Double?
    /// Every number measured, by name (rates in records or events per second, times in
    /// seconds, latencies in milliseconds, memory in KiB).
    var numbers: [String: Double]
    /// How the row was measured and what it counted.
    var notes: [String]
    /// Why the row failed, if it did (wrong counts, a timeout, an error).
    var failure: String?
}
