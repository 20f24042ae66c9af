import Foundation

/// Row 11: MMOLove is down (the sink answers 503) for two minutes while 240,000 account-created
/// and 60,000 milestone-reached records arrive, then it is back. Issue 9's target: nothing
/// rejected, every partition progressing, and the backlog sent at no less than 0.8 of the
/// relay's live rate: row 4's, and, since the machine's speed moves from minute to minute, the
/// rate of live workloads through the same relay right after the backlog: row 4's (half
/// `registered`), and one with the backlog's own mix (four `registered` to one `qualified`; the
/// kinds cost differently), taking turns.
struct OutageBench {
    /// Shared settings.
    let context: BenchContext

    /// Runs the outage, the recovery, and then the live workloads, with one in-process relay.
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
            // The live workloads right after the backlog (each run's name gets its index).
            let rowFourMix = RelayWorkload(
                run: "ul", accounts: sizes.relayEvents / 2, milestones: sizes.relayEvents / 2)
            let backlogMix = LiveRates.backlogMix(of: workload, events: sizes.relayEvents, run: "um")
            let configuration = InProcessRelay.configuration(
                brokers: broker.brokers, groupID: "bench-outage", endpoint: endpoint)
            let timeout = Duration.seconds(max(300, workload.events / 200))
            let (complete, produceSeconds, unavailable, after) = try await InProcessRelay.withRunning(
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
                let complete = try await collected
                // Live workloads through the same relay and broker right after the backlog: the
                // relay's live rate at the same moment of a machine whose speed moves from minute
                // to minute (row 4 ran minutes earlier), on topics as full as the backlog's last
                // outcomes found them. Row 4's mix and the backlog's take turns, so both meet
                // the same moments, and each goes first every other time, so neither always has
                // the moment nearest the backlog.
                var after = LiveRates()
                if complete {
                    for index in 0..<RelayThroughputBench.liveRuns {
                        var four = rowFourMix
                        four.run += "\(index)"
                        var mixed = backlogMix
                        mixed.run += "\(index)"
                        if index.isMultiple(of: 2) {
                            after.rowFour.append(try await self.liveRun(four, broker: broker))
                            after.backlogMix.append(try await self.liveRun(mixed, broker: broker))
                        } else {
                            after.backlogMix.append(try await self.liveRun(mixed, broker: broker))
                            after.rowFour.append(try await self.liveRun(four, broker: broker))
                        }
                    }
                }
                return (complete, produced, unavailable, after)
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
            let afterRate = LiveRates.median(after.rowFour)
            let mixRate = LiveRates.median(after.backlogMix)
            // No ratio to a rate of 0 (every outcome in one millisecond): `--json` refuses infinity.
            let afterRatio = afterRate > 0 ? rate / afterRate : nil
            let mixRatio = mixRate > 0 ? rate / mixRate : nil
            let afterRatioText = afterRatio.map { String(format: "%.2f", $0) } ?? "-"
            let mixRatioText = mixRatio.map { String(format: "%.2f", $0) } ?? "-"
            numbers["same_relay_after_events_per_second"] = afterRate
            if let afterRatio { numbers["ratio_to_same_relay_after"] = afterRatio }
            numbers["same_relay_after_backlog_mix_events_per_second"] = mixRate
            if let mixRatio { numbers["ratio_to_same_relay_after_backlog_mix"] = mixRatio }
            for (index, runRate) in after.rowFour.enumerated() {
                numbers["same_relay_after_run\(index + 1)_events_per_second"] = runRate
            }
            for (index, runRate) in after.backlogMix.enumerated() {
                numbers["same_relay_after_backlog_mix_run\(index + 1)_events_per_second"] = runRate
            }
            let fifths = tally.rateByFifth
            for (index, fifthRate) in fifths.enumerated() {
                numbers["fifth\(index + 1)_events_per_second"] = fifthRate
            }
            return RowResult(
                row: .outage,
                stage: BenchRow.outage.stage,
                what:
                    "\(workload.events.grouped) events arrive while the sink answers 503 for "
                    + "\(String(format: "%.0f", sizes.outageSeconds)) s, then it answers",
                result:
                    "\(rate.grouped) ev/s, rejected \((tally.byStatus["rejected"] ?? 0).grouped); "
                    + afterRatioText + " of the same relay's live rate right after, " + mixRatioText
                    + " on the backlog's mix",
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
                    "by fifth of the outcomes: " + fifths.map { "\($0.grouped)" }.joined(separator: ", ") + " ev/s",
                    "right after, through the same relay and broker (\(partitions) partitions a topic), taking turns "
                        + "\(RelayThroughputBench.liveRuns) times each, row 4's workload: "
                        + after.rowFour.map { "\($0.grouped)" }.joined(separator: ", ") + " ev/s (the ratio to their "
                        + "median, \(afterRatioText), holds the backlog against the relay's live rate at the same moment); "
                        + "and the backlog's mix (\(backlogMix.accounts.grouped) registered + \(backlogMix.milestones.grouped) qualified): "
                        + after.backlogMix.map { "\($0.grouped)" }.joined(separator: ", ") + " ev/s (ratio "
                        + "\(mixRatioText): the same mix live, so the kinds' costs are out of it)",
                ]
            )
        }
    }

    /// One run of `workload` through the running relay: its rate between the first and last
    /// outcome, every event checked (exactly one outcome, `advanced`).
    private func liveRun(_ workload: RelayWorkload, broker: BenchBroker) async throws -> Double {
        let collector = try await OutcomeCollector(
            broker: broker, expected: workload.events, fetchWaitMilliseconds: 100, run: workload.run, fromEnd: true)
        let timeout = Duration.seconds(max(180, workload.events / 200))
        async let collected = collector.collect(timeout: timeout)
        try await workload.load(into: broker)
        guard try await collected else {
            throw BenchError(
                "after the backlog, \(workload.events - collector.distinctCount) of \(workload.events) live events have no outcome after \(timeout)"
            )
        }
        let tally = OutcomeTally(collector.arrivals)
        try tally.verify(expected: workload.events, allowed: ["advanced"])
        return tally.rate
    }
}

/// The live rates measured right after row 11's backlog, one list per workload (events/s).
struct LiveRates {
    /// Row 4's workload: half `registered`, half `qualified`.
    var rowFour: [Double] = []
    /// The backlog's mix (four `registered` to one `qualified` at the default sizes).
    var backlogMix: [Double] = []

    /// The middle of `rates` (the upper middle of an even count); 0 for none.
    static func median(_ rates: [Double]) -> Double {
        guard !rates.isEmpty else { return 0 }
        return rates.sorted()[rates.count / 2]
    }

    /// A live workload of `events` events with `backlog`'s mix of kinds, named `run`.
    static func backlogMix(of backlog: RelayWorkload, events: Int, run: String) -> RelayWorkload {
        let accounts = events * backlog.accounts / max(1, backlog.events)
        return RelayWorkload(run: run, accounts: accounts, milestones: events - accounts)
    }
}
