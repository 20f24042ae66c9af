import Logging
import Relay
import ServiceLifecycle

/// Shows a backfill's progress while it runs: on a terminal one bar per input topic, redrawn
/// every second; otherwise (a Kubernetes Job's log) a log line every five seconds. Ends when
/// the group does (the pipeline finished, or a shutdown signal).
struct BackfillProgressReporter: Service {
    let pipeline: RelayPipeline
    let style: BackfillCommand.ProgressStyle
    let logger: Logger
    let run: String

    func run() async throws {
        guard self.style == .bar || self.style == .log else {
            return try await gracefulShutdown()
        }
        let interval: Duration = self.style == .bar ? .seconds(1) : .seconds(5)
        await cancelWhenGracefulShutdown {
            var meter = BackfillMeter()
            var drawn = 0
            while !Task.isCancelled {
                if let progress = self.pipeline.replayProgress {
                    let now = ContinuousClock.now
                    let rows = progress.topics.keys.sorted().map { topic in
                        let (done, total) = progress.topics[topic]!
                        return meter.row(topic: topic, done: done, total: total, at: now)
                    }
                    let events = self.pipeline.tally.snapshot.events
                    if self.style == .bar {
                        drawn = BackfillConsole.drawBars(rows, events: events, replacing: drawn)
                    } else {
                        self.log(rows, events: events)
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    private func log(_ rows: [BackfillMeter.Row], events: Int) {
        var metadata: Logger.Metadata = ["run": "\(self.run)", "outcomes": "\(events)"]
        for row in rows {
            metadata[row.topic] = .dictionary([
                "done": "\(row.done)", "total": "\(row.total)",
                "records_per_second": "\(Int(row.rate.rounded()))",
                "eta_seconds": row.eta.map { "\(Int($0.rounded()))" } ?? "unknown",
            ])
        }
        self.logger.info("backfill progress", metadata: metadata)
    }
}

/// Rates and ETAs of a backfill's progress, from successive samples (a value: plain-value tests).
struct BackfillMeter {
    /// One topic's line.
    struct Row: Hashable {
        var topic: String
        var done: Int64
        var total: Int64
        /// Records per second since the first sample.
        var rate: Double
        /// Seconds left at that rate; `nil` before any progress.
        var eta: Double?
    }

    private var first: [String: (at: ContinuousClock.Instant, done: Int64)] = [:]

    /// The row of `topic` at `now`.
    mutating func row(topic: String, done: Int64, total: Int64, at now: ContinuousClock.Instant) -> Row {
        let start = self.first[topic] ?? (now, done)
        if self.first[topic] == nil { self.first[topic] = start }
        let seconds = (now - start.at).seconds
        let rate = seconds > 0 ? Double(done - start.done) / seconds : 0
        let eta: Double? = done >= total ? 0 : (rate > 0 ? Double(total - done) / rate : nil)
        return Row(topic: topic, done: done, total: total, rate: rate, eta: eta)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (whole, attoseconds) = self.components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
