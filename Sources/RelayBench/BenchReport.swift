import Foundation

/// The suite's output: a plain-text table (stage | what | result | ceiling | ratio) and a JSON
/// document with every number and the configuration used.
struct BenchReport: Codable, Sendable {
    /// When the run started (RFC 3339).
    var date: String
    /// The command line.
    var command: String
    /// The machine, as far as it matters here.
    var machine: [String: String]
    /// Sizes after `--scale`.
    var sizes: BenchSizes
    /// Rows in order.
    var rows: [RowResult]

    /// Rows that failed.
    var failures: [RowResult] { self.rows.filter { $0.failure != nil } }

    /// The table, then each row's notes.
    func table() -> String {
        let header = ["stage", "what", "result", "ceiling", "ratio"]
        let lines = self.rows.map { row in
            [
                row.stage, row.what, row.failure.map { "FAILED: \($0)" } ?? row.result,
                row.failure == nil ? row.ceiling : "-",
                row.ratio.map { String(format: $0 < 0.1 ? "%.4f" : "%.2f", $0) } ?? "-",
            ]
        }
        let widths = header.indices.map { column in
            ([header] + lines).map { $0[column].count }.max() ?? 0
        }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: " | ")
        }
        var out = [render(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "-|-")]
        out += lines.map(render)
        out.append("")
        for row in self.rows {
            out.append("\(row.stage):")
            out += row.notes.map { "  - \($0)" }
        }
        return out.joined(separator: "\n")
    }

    /// The JSON document.
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
