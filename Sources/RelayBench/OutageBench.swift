import Foundation

/// Row 11: MMOLove is down (the sink answers 503) for two minutes while 240,000 account-created
/// and 60,000 milestone-reached records arrive, then it is back. Issue 9's target: nothing
/// rejected, every partition progressing, and the backlog sent at no less than 0.8 of the
/// relay's live rate (row 4).
struct OutageBench {
    /// Shared settings.
    let context: BenchContext

    /// Runs the outage and the recovery with one in-process relay.
    func run(liveRate: Double?) async throws -> RowResult {
        let sizes = self.context.sizes
        let logger = self.context.logger
        let workload = RelayWorkload(run: "u", accounts: sizes.outageAccounts, milestones: sizes.outageMilestones)
        return try await InstantSink.withRunning { ledger, endpoint in
            // The embedded broker keeps about 20,000 records a partition.
            let partitions = max(12, sizes.outageAccounts / 10_000)
            let broker = try await BenchBroker.relayTopics(inputPartitions: partitions, logger: logger)
            let collector = try await OutcomeCollector(
                broker: broker, expected: workload.events, fetchWaitMilliseconds: 100)
            let configuration = InProcessRelay.configuration(
                brokers: broker.brokers, groupID: "bench-outage", endpoint: endpoint)
            let timeout = Duration.seconds(max(300, workload.events / 200))
            let (complete, produceSeconds, unavailable) = try await InProcessRelay.withRunning(
                configuration: configuration, logger: logger
            ) { port in
                try await OpsProbe(httpClient: self.context.httpClient, port: port).waitUntilReady(
                    timeout: .seconds(30))
                ledger.setMode(.unavailable)
                let outageStart = ContinuousClock.now
                async let collected = collector.collect(timeout: timeout)
                try await workload.load(into: broker)
                let produced = (ContinuousClock.now - outageStart).seconds
                try await Task.sleep(until: outageStart + .seconds(sizes.outageSeconds))
                let unavailable = ledger.counts.unavailable
                ledger.setMode(.instant)
                return (try await collected, produced, unavailable)
            }
            guard complete else {
                throw BenchError(
                    "\(workload.events - collector.distinctCount) of \(workload.events) events have no outcome after \(timeout)"
                )
            }
            let tally = OutcomeTally(collector.arrivals)
            // Nothing may be rejected or fail: every event waited for MMOLove and then went out.
            try tally.verify(expected: workload.events, allowed: ["advanced"])
            let rate = tally.rate
            var numbers: [String: Double] = [
                "events": Double(workload.events), "events_per_second": rate,
                "outage_seconds": sizes.outageSeconds, "backlog_produce_seconds": produceSeconds,
                "sink_503_during_outage": Double(unavailable), "input_partitions": Double(partitions),
                "first_to_last_outcome_seconds": tally.completionSpan,
            ]
            for (status, count) in tally.byStatus { numbers["status_\(status)"] = Double(count) }
            if let liveRate { numbers["row4_events_per_second"] = liveRate }
            return RowResult(
                row: .outage,
                stage: BenchRow.outage.stage,
                what:
                    "\(workload.events.grouped) events arrive while the sink answers 503 for "
                    + "\(String(format: "%.0f", sizes.outageSeconds)) s, then it answers",
                result: "\(rate.grouped) ev/s, rejected \((tally.byStatus["rejected"] ?? 0).grouped)",
                ceiling: liveRate.map { "\($0.grouped) ev/s (row 4)" } ?? "- (row 4 not run)",
                ratio: liveRate.map { rate / $0 },
                numbers: numbers,
                notes: [
                    "relay in process with product defaults, running and joined; then the sink answers 503, "
                        + "\(sizes.outageAccounts.grouped) account-created and \(sizes.outageMilestones.grouped) "
                        + "milestones are produced (\(String(format: "%.1f", produceSeconds)) s, \(partitions) "
                        + "partitions a topic), and the sink answers again \(String(format: "%.0f", sizes.outageSeconds)) s "
                        + "after the outage began",
                    "the sink answered 503 \(unavailable.grouped) times during the outage (the circuit breaker "
                        + "probes instead of retrying every event); rate between the first and last outcome "
                        + "completed_at; every event must end advanced",
                ]
            )
        }
    }
}
