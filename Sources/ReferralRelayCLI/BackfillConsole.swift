import Foundation
import Relay

/// What `referral-relay backfill` prints: progress bars, the dry-run report, the summary.
enum BackfillConsole {
    /// Whether stdout is a terminal.
    static let isTerminal = isatty(STDOUT_FILENO) == 1

    /// Draws one bar per topic, replacing the `replacing` lines drawn last time.
    ///
    /// - Returns: The lines drawn.
    static func drawBars(_ rows: [BackfillMeter.Row], events: Int, replacing previous: Int) -> Int {
        var text = previous > 0 ? "\u{1B}[\(previous)A" : ""
        for row in rows {
            let fraction = row.total > 0 ? Double(row.done) / Double(row.total) : 1
            let width = 30
            let filled = min(width, Int((fraction * Double(width)).rounded(.down)))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let eta = row.eta.map { "\(Int($0.rounded()))s" } ?? "?"
            text +=
                "\r\u{1B}[K" + DemoConsole.pad(row.topic, 18) + " [\(bar)] "
                + DemoConsole.right("\(row.done)/\(row.total)", 17) + " "
                + DemoConsole.right(String(format: "%.0f rec/s", row.rate), 12) + "  ETA \(eta)\n"
        }
        text += "\r\u{1B}[K" + "outcomes published: \(events)\n"
        self.write(text)
        return rows.count + 1
    }

    /// Prints the dry-run report.
    static func printDryRun(_ report: BackfillDryRun.Report, window: BackfillWindow) {
        var lines = ["backfill \(window.name) (dry run): nothing was sent, published or committed"]
        for topic in report.totals.keys.sorted() {
            lines.append("  \(DemoConsole.pad(topic, 20)) \(report.totals[topic]!) records in the window")
        }
        lines.append("  records read: \(report.read)")
        for event in report.events.keys.sorted() {
            lines.append("  would send \(DemoConsole.pad(event, 11)) \(report.events[event]!)")
        }
        if report.needRefereeStore > 0 {
            lines.append("  needs the referee store (qualified, no mmref) \(report.needRefereeStore)")
        }
        for reason in report.skipped.keys.sorted() {
            lines.append("  would skip (\(reason)) \(report.skipped[reason]!)")
        }
        lines.append("  would dead-letter (malformed) \(report.malformed)")
        if report.needRefereeStore > 0 {
            lines.append(
                "note: \"needs the referee store\" counts qualifying milestones without mmref: a real run sends "
                    + "each as qualified when the referee store knows its account by then (its account-created "
                    + "earlier in the window, or read by a relay with the store on), and skips it as not_referred "
                    + "otherwise; a dry run reads no store, so it cannot tell which")
        }
        if !report.examples.isEmpty {
            lines.append("first events that would be sent:")
            for request in report.examples {
                let time = request.source.timestampMilliseconds.map(String.init) ?? "-"
                lines.append(
                    "  \(request.kind.rawValue) \(request.serverEventID) mmref=\(request.mmref) "
                        + "server_id=\(request.serverID ?? "-") source=\(request.source.topic)/"
                        + "\(request.source.partition)/\(request.source.offset) timestamp_ms=\(time)")
            }
        }
        if !report.unfinished.isEmpty {
            lines.append(
                "warning: no record came for 10 s from \(report.unfinished.map(\.description).joined(separator: ", ")); "
                    + "the counts above stop there")
        }
        self.write(lines.joined(separator: "\n") + "\n")
    }

    /// Prints the summary of a run: outcomes by event and status, skips, dead letters, and
    /// what an earlier run of the same name had already settled (`resumed`).
    static func printSummary(
        _ counts: ReplayTally.Counts,
        progress: RelayPipeline.ReplayProgress?,
        window: BackfillWindow,
        group: String,
        elapsed: Duration,
        completed: Bool,
        resumed: Int64
    ) {
        var lines: [String] = []
        let verdict = completed ? "finished" : "stopped before the end of its window"
        lines.append(
            "backfill \(window.name) \(verdict) in \(String(format: "%.1f", elapsed.seconds)) s (group \(group))")
        for topic in progress?.topics.keys.sorted() ?? [] {
            let (done, total) = progress!.topics[topic]!
            lines.append("  \(DemoConsole.pad(topic, 20)) \(done)/\(total) records settled")
        }
        lines.append("  " + DemoConsole.pad("event", 12) + DemoConsole.pad("status", 22) + "count")
        for event in counts.outcomes.keys.sorted() {
            for status in counts.outcomes[event]!.keys.sorted() {
                lines.append(
                    "  " + DemoConsole.pad(event, 12) + DemoConsole.pad(status, 22)
                        + "\(counts.outcomes[event]![status]!)")
            }
        }
        if counts.outcomes.isEmpty { lines.append("  (no referral event in the window)") }
        for reason in counts.skipped.keys.sorted() {
            lines.append("  skipped (\(reason)): \(counts.skipped[reason]!)")
        }
        lines.append("  dead-lettered as malformed: \(counts.malformed)")
        if resumed > 0 {
            lines.append("  records settled by an earlier run of \(window.name) (resumed past them): \(resumed)")
        }
        lines.append(
            completed
                ? "advanced = missing at MMOLove until now; duplicate = MMOLove already had it."
                : "run the same command again to resume from where it stopped.")
        self.write(lines.joined(separator: "\n") + "\n")
    }

    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
