/// How `dlq list` prints dead letters.
public enum DeadLetterFormat: String, Sendable, CaseIterable {
    /// A fixed-width table for a terminal (control characters shown as `?`).
    case table
    /// One JSON object per line, for `jq` and scripts.
    case json

    /// The column header line of ``table``; `nil` for ``json``.
    public var header: String? {
        guard self == .table else { return nil }
        return Self.row(["TIME", "STAGE", "ORIGINAL (TOPIC/PARTITION/OFFSET)", "KEY", "REASON"])
    }

    /// One dead letter as one line (no newline).
    public func line(for entry: DeadLetterEntry) -> String {
        switch self {
        case .table:
            return Self.row([
                entry.timestamp.map { RFC3339.formatMilliseconds(epochMilliseconds: $0) } ?? "-",
                entry.stageText ?? "-",
                entry.originalLocation,
                entry.message.key.map { String(decoding: $0, as: UTF8.self) } ?? "-",
                entry.reason.isEmpty ? "-" : entry.reason,
            ])
        case .json:
            var writer = JSONWriter(capacity: 256)
            writer.beginObject()
            writer.member("timestamp", timestampMilliseconds: entry.timestamp)
            writer.member("stage", entry.stageText)
            writer.member("reason", entry.reason)
            writer.member("http_status", entry.httpStatus.map(Int64.init))
            writer.member("topic", entry.originalTopic)
            writer.member("partition", entry.originalPartition.map(Int64.init))
            writer.member("offset", entry.originalOffset)
            writer.member("key", entry.message.key.map { String(decoding: $0, as: UTF8.self) })
            writer.member("dlq_partition", Int64(entry.message.partition))
            writer.member("dlq_offset", entry.message.offset)
            writer.endObject()
            return String(decoding: writer.bytes, as: UTF8.self)
        }
    }

    /// Column widths of the table; the last column takes the rest of the line.
    static let widths = [25, 8, 40, 24]

    /// The cells padded or cut to their widths; a dead letter's key and reason come from
    /// outside, so control characters (a terminal's escape sequences) never reach the screen.
    static func row(_ cells: [String]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            let clean = String(
                String.UnicodeScalarView(
                    cell.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 })
            )
            guard index < widths.count else {
                line += clean
                break
            }
            let width = widths[index]
            let fitted = clean.count > width - 1 ? String(clean.prefix(width - 2)) + "…" : clean
            line += fitted + String(repeating: " ", count: width - fitted.count)
        }
        return line
    }
}
