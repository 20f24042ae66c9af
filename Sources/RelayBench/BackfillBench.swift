import Foundation
import Kafka
import Relay
import ServiceLifecycle

/// Rows 8 and 9: `referral-relay backfill` in process (the services of `Backfill.build` in one
/// `ServiceGroup`, which ends by itself once the window is settled) over a backlog produced
/// first, against the instant sink; rated between its first and last outcome by the outcomes'
/// own `completed_at`.
struct BackfillBench {
    /// Shared settings.
    let context: BenchContext

    /// What one backfill run produced.
    struct Run: Sendable {
        /// The outcomes read back from `referral-outcomes`.
        var tally: OutcomeTally
        /// Seconds to produce the backlog.
        var produceSeconds: Double
        /// Seconds `Backfill.build` took (finding the window's offsets on the broker).
        var buildSeconds: Double
        /// Seconds from starting the backfill's services to their end.
        var runSeconds: Double
        /// Records in the window, as the backfill's plan found them.
        var windowRecords: Int
        /// The backfill's own counts.
        var counts: ReplayTally.Counts
        /// The sink's answers.
        var sink: SinkLedger.Counts
    }

    /// Row 8: the whole backlog as fast as the backfill goes; ceiling: row 4's rate.
    func full(liveRate: Double?) async throws -> RowResult {
        let events = self.context.sizes.backfillEvents
        let workload = BackfillWorkload(run: "f", accounts: events / 2)
        let run = try await self.measure(workload, rate: nil, name: "bench-full")
        let rate = run.tally.rate
        var numbers = self.numbers(run, events: workload.events)
        if let liveRate { numbers["row4_events_per_second"] = liveRate }
        return RowResult(
            row: .backfill,
            stage: BenchRow.backfill.stage,
            what: "\(events.grouped) referred events (half registered, half qualified) produced first, backfilled",
            result: "\(rate.grouped) ev/s",
            ceiling: liveRate.map { "\($0.grouped) ev/s (row 4)" } ?? "- (row 4 not run)",
            ratio: liveRate.map { rate / $0 },
            numbers: numbers,
            notes: self.notes(run, workload: workload) + [
                "the ceiling is the live relay's rate (row 4, same run): the target is a backfill at the relay's "
                    + "full speed"
            ]
        )
    }

    /// Row 9: a minute of events (at scale 1) with `--rate`; ceiling: the rate asked for.
    func limited() async throws -> RowResult {
        let sizes = self.context.sizes
        let target = Double(sizes.backfillRate)
        let workload = BackfillWorkload(run: "r", accounts: sizes.backfillRateEvents / 2)
        let run = try await self.measure(workload, rate: target, name: "bench-rate")
        let rate = run.tally.rate
        let slowest = SlowestWindow.find(in: run.tally.completedMilliseconds, widthMilliseconds: 5_000)
        var numbers = self.numbers(run, events: workload.events)
        numbers["rate_limit"] = target
        if let slowest {
            numbers["slowest_window_events_per_second"] = slowest.perSecond
            numbers["slowest_window_seconds"] = Double(slowest.widthMilliseconds) / 1000
        }
        let gap = run.tally.largestCompletionGap
        if let gap {
            numbers["largest_gap_milliseconds"] = Double(gap.milliseconds)
            numbers["largest_gap_after_outcomes"] = Double(gap.afterOutcomes)
        }
        func verdict(_ value: Double) -> String { abs(value / target - 1) <= 0.05 ? "within" : "OUTSIDE" }
        let slowestText = slowest.map {
            "slowest \(String(format: "%.0f", Double($0.widthMilliseconds) / 1000)) s: \($0.perSecond.grouped) ev/s"
        }
        return RowResult(
            row: .backfillRate,
            stage: BenchRow.backfillRate.stage,
            what: "\(workload.events.grouped) events (\(String(format: "%.0f", sizes.backfillRateSeconds)) s at "
                + "--rate \(sizes.backfillRate)), produced first, backfilled",
            result: "\(rate.grouped) ev/s" + (slowestText.map { ", \($0)" } ?? ""),
            ceiling: "\(sizes.backfillRate.grouped) ev/s (--rate)",
            ratio: rate / target,
            numbers: numbers,
            notes: self.notes(run, workload: workload) + [
                "issue 10's target, \(sizes.backfillRate) ev/s ± 5%: the run's rate \(String(format: "%.1f", rate)) "
                    + "is \(verdict(rate)); "
                    + (slowest.map {
                        "the slowest \(String(format: "%.1f", Double($0.widthMilliseconds) / 1000)) s window (by completed_at) "
                            + "\(String(format: "%.1f", $0.perSecond)) is \(verdict($0.perSecond))"
                    } ?? "no window to rate"),
                gap.map {
                    "largest gap between consecutive completed_at: \($0.milliseconds) ms, after the first "
                        + "\($0.afterOutcomes.grouped) outcomes (\(String(format: "%.2f", $0.atSeconds)) s in)"
                } ?? "no gap to show",
            ]
        )
    }

    private func notes(_ run: Run, workload: BackfillWorkload) -> [String] {
        [
            "backlog: \(workload.accounts.grouped) account-created then as many qualifying milestones, timestamps "
                + "set and increasing, 12 partitions per input topic (as row 4), produced in "
                + "\(String(format: "%.1f", run.produceSeconds)) s (lz4, linger 5 ms)",
            "Backfill.build over [\(BackfillWorkload.windowStart), end of topics): plan found "
                + "\(run.windowRecords.grouped) records in \(String(format: "%.1f", run.buildSeconds)) s; services "
                + "ran \(String(format: "%.1f", run.runSeconds)) s and ended by themselves",
            "rate: distinct events / (last - first outcome completed_at); complete: one outcome per event, every "
                + "one advanced and replay: true (\(run.tally.replays.grouped) of \(run.tally.records.grouped)), "
                + "replayCompleted; the sink answered 422 \(run.sink.invalidTransition.grouped) times",
            "the backfill's own tally: "
                + run.counts.outcomes.sorted { $0.key > $1.key }.map { event, statuses in
                    event + " "
                        + statuses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.grouped)" }
                        .joined(separator: ", ")
                }.joined(separator: "; "),
        ]
    }

    private func numbers(_ run: Run, events: Int) -> [String: Double] {
        var numbers: [String: Double] = [
            "events": Double(events), "events_per_second": run.tally.rate,
            "first_to_last_outcome_seconds": run.tally.completionSpan, "produce_seconds": run.produceSeconds,
            "build_seconds": run.buildSeconds, "run_seconds": run.runSeconds,
            "window_records": Double(run.windowRecords), "outcome_records": Double(run.tally.records),
            "replay_outcomes": Double(run.tally.replays), "sink_200": Double(run.sink.advanced),
            "sink_422": Double(run.sink.invalidTransition),
        ]
        for (status, count) in run.tally.byStatus { numbers["status_\(status)"] = Double(count) }
        return numbers
    }

    /// Produces `workload`, then runs a backfill of a window holding all of it to its end and
    /// reads back one outcome per event.
    ///
    /// - Throws: ``BenchError`` when the backfill did not settle its window, or an event has no
    ///   outcome, or one that is not `advanced` and `replay: true`.
    private func measure(_ workload: BackfillWorkload, rate: Double?, name: String) async throws -> Run {
        let logger = self.context.logger
        return try await InstantSink.withRunning { ledger, endpoint in
            let broker = try await BenchBroker.relayTopics(inputPartitions: 12, logger: logger)
            let produceStart = ContinuousClock.now
            try await workload.load(into: broker)
            let produceSeconds = (ContinuousClock.now - produceStart).seconds
            let collector = try await OutcomeCollector(
                broker: broker, expected: workload.events, fetchWaitMilliseconds: 100)
            let configuration = InProcessRelay.configuration(
                brokers: broker.brokers, groupID: "bench-\(workload.run)", endpoint: endpoint)
            let window = try BackfillWindow(from: BackfillWorkload.windowStart, to: nil, name: name)
            let buildStart = ContinuousClock.now
            let backfill = try await Backfill.build(
                configuration: configuration, window: window, rate: rate, logger: logger)
            let buildSeconds = (ContinuousClock.now - buildStart).seconds
            let group = ServiceGroup(
                configuration: .init(services: backfill.services, gracefulShutdownSignals: [], logger: logger))
            // Generous: a rate-limited window takes events / rate; an unlimited one far less.
            let timeout = Duration.seconds(120 + workload.events / min(500, Int(rate ?? 500)))
            let runStart = ContinuousClock.now
            var runSeconds = 0.0
            let complete = try await withThrowingTaskGroup(of: Bool.self) { tasks in
                tasks.addTask {
                    let complete = try await collector.collect(timeout: timeout)
                    // Timed out: stop the backfill, whose group would otherwise never end.
                    if !complete && !Task.isCancelled { await group.triggerGracefulShutdown() }
                    return complete
                }
                do {
                    try await group.run()
                } catch {
                    tasks.cancelAll()
                    throw error
                }
                runSeconds = (ContinuousClock.now - runStart).seconds
                guard backfill.pipeline.replayCompleted else {
                    tasks.cancelAll()
                    return false
                }
                // Every outcome was published before the window counted as settled.
                tasks.addTask {
                    try? await Task.sleep(for: .seconds(30))
                    return false
                }
                let complete = try await tasks.next() ?? false
                tasks.cancelAll()
                return complete
            }
            guard backfill.pipeline.replayCompleted else {
                throw BenchError(
                    "the backfill ended before its window was settled (\(collector.distinctCount) of "
                        + "\(workload.events) events have an outcome)")
            }
            guard complete else {
                throw BenchError(
                    "\(workload.events - collector.distinctCount) of \(workload.events) events have no outcome")
            }
            let run = Run(
                tally: OutcomeTally(collector.arrivals), produceSeconds: produceSeconds, buildSeconds: buildSeconds,
                runSeconds: runSeconds, windowRecords: Int(backfill.plan.totals.values.reduce(0, +)),
                counts: backfill.pipeline.tally.snapshot, sink: ledger.counts)
            if run.windowRecords != workload.events {
                throw BenchError("the window holds \(run.windowRecords) records, not \(workload.events)")
            }
            try run.tally.verify(expected: workload.events, allowed: ["advanced"])
            if run.tally.replays != run.tally.records {
                throw BenchError("\(run.tally.records - run.tally.replays) outcomes without replay: true")
            }
            return run
        }
    }
}
