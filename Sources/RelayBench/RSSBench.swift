import Foundation
import Kafka

/// Row 7: the relay's own RSS, run as a child process against this process's broker and sink:
/// steady while it relays row 4's workload at full speed, then the peak while a large backlog
/// waits behind an endpoint answering 503 (consumption must pause, not buffer).
struct RSSBench {
    /// Diagnosis only: `BENCH_RSS_ENV="K=V,K=V"` adds settings to the child relay's environment.
    static var extraEnvironment: [String: String] {
        let pairs = (ProcessInfo.processInfo.environment["BENCH_RSS_ENV"] ?? "").split(separator: ",")
        return Dictionary(
            pairs.compactMap { pair -> (String, String)? in
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            }, uniquingKeysWith: { $1 })
    }

    /// Shared settings.
    let context: BenchContext

    /// Runs both phases with one child relay.
    func run() async throws -> RowResult {
        let sizes = self.context.sizes
        let logger = self.context.logger
        return try await InstantSink.withRunning { ledger, endpoint in
            let broker = try await BenchBroker(
                topics: [
                    BenchBroker.Topic.accountCreated: sizes.rssBacklogPartitions,
                    BenchBroker.Topic.milestoneReached: 12,
                    BenchBroker.Topic.outcomes: 12,
                    BenchBroker.Topic.dlq: 3,
                    BenchBroker.Topic.referees: 6,
                ],
                logger: logger
            )
            let child = try ChildRelay(
                executable: self.context.relayExecutable,
                environment: ChildRelay.runEnvironment(broker: broker, endpoint: endpoint, groupID: "bench-rss")
                    .merging(Self.extraEnvironment) { $1 })
            let sampler = RSSSampler(pid: child.pid)
            let sampling = Task { await sampler.run() }
            defer { sampling.cancel() }
            return try await child.stoppingAfter {
                try await self.measure(child: child, sampler: sampler, broker: broker, ledger: ledger)
            }
        }
    }

    private func measure(child: ChildRelay, sampler: RSSSampler, broker: BenchBroker, ledger: SinkLedger)
        async throws -> RowResult
    {
        let sizes = self.context.sizes
        let probe = OpsProbe(httpClient: self.context.httpClient, port: try await child.opsPort(timeout: .seconds(30)))
        try await probe.waitUntilReady(timeout: .seconds(30))

        // Phase 1: row 4's workload at full speed.
        let workload = RelayWorkload(run: "s", accounts: sizes.relayEvents / 2, milestones: sizes.relayEvents / 2)
        let collector = try await OutcomeCollector(
            broker: broker, expected: workload.events, fetchWaitMilliseconds: 100)
        async let collected = collector.collect(timeout: .seconds(max(180, workload.events / 200)))
        try await workload.load(into: broker)
        guard try await collected else {
            throw BenchError(
                "\(workload.events - collector.distinctCount) of \(workload.events) events have no outcome")
        }
        let tally = OutcomeTally(collector.arrivals)
        try tally.verify(expected: workload.events, allowed: ["advanced"])
        let arrivals = collector.arrivals.map(\.arrivalMicroseconds)
        // One sampling interval either side, so a short phase (a small --scale) still has samples.
        let steady = sampler.samples(from: (arrivals.min() ?? 0) - 100_000, to: (arrivals.max() ?? 0) + 100_000)
            .map(\.kilobytes).sorted()
        let consumedBefore = try await probe.sums(["relay_records_consumed_total"])["relay_records_consumed_total"] ?? 0

        // Phase 2: the endpoint is down; a backlog arrives; RSS is watched for the window.
        ledger.setMode(.unavailable)
        let outageStart = WallClock.microseconds()
        let backlogStart = ContinuousClock.now
        try await broker.load(sizes.rssBacklog) { index in
            InputRecords.accountCreated(
                topic: BenchBroker.Topic.accountCreated, account: InputRecords.accountID(run: "o", index),
                referred: true)
        }
        let produceSeconds = (ContinuousClock.now - backlogStart).seconds
        try await Task.sleep(for: .seconds(sizes.rssWindowSeconds))
        let outageEnd = WallClock.microseconds()
        guard child.isRunning else { throw BenchError("referral-relay died during the outage; log: \(child.logPath)") }
        let outage = sampler.samples(from: outageStart, to: outageEnd).map(\.kilobytes)
        let consumedAfter = try await probe.sums(["relay_records_consumed_total"])["relay_records_consumed_total"] ?? 0
        let consumedDuringOutage = Int(consumedAfter - consumedBefore)
        guard let peak = outage.max(), !steady.isEmpty else { throw BenchError("no RSS samples") }
        let median = steady[steady.count / 2]
        let steadyMax = steady[steady.count - 1]
        let last = outage.last ?? peak
        return RowResult(
            row: .rss,
            stage: BenchRow.rss.stage,
            what:
                "referral-relay child: steady at row 4 load; peak with \(sizes.rssBacklog.grouped) records behind a 503 endpoint",
            result: "steady \(Self.mib(median)) (max \(Self.mib(steadyMax))); peak \(Self.mib(peak))",
            ceiling: "-",
            ratio: Double(peak) / Double(max(1, median)),
            numbers: [
                "steady_median_kib": Double(median), "steady_max_kib": Double(steadyMax), "peak_kib": Double(peak),
                "end_kib": Double(last), "backlog_records": Double(sizes.rssBacklog),
                "backlog_produce_seconds": produceSeconds, "outage_window_seconds": sizes.rssWindowSeconds,
                "consumed_during_outage": Double(consumedDuringOutage), "steady_events": Double(workload.events),
                "steady_events_per_second": tally.rate, "sink_503": Double(ledger.counts.unavailable),
            ],
            notes: [
                "the relay runs as a child process (`referral-relay run`, environment configuration, defaults but "
                    + "RELAY_OPS_PORT=0 and RELAY_DRAIN_TIMEOUT_SECONDS=2); the broker and sink live in the bench "
                    + "process; VmRSS every 100 ms",
                "steady: samples from 100 ms before the first to 100 ms after the last outcome arrival of \(workload.events.grouped) events "
                    + "(\(tally.rate.grouped) ev/s in the child)",
                "peak: from the outage start through the backlog's production (\(String(format: "%.1f", produceSeconds)) s) "
                    + "and \(String(format: "%.0f", sizes.rssWindowSeconds)) s after; the relay consumed "
                    + "\(consumedDuringOutage.grouped) of \(sizes.rssBacklog.grouped) backlog records (paused, not "
                    + "buffered); ratio = peak / steady median",
            ]
        )
    }

    private static func mib(_ kilobytes: Int) -> String {
        String(format: "%.1f MiB", Double(kilobytes) / 1024)
    }
}
