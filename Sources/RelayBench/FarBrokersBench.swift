import Foundation
import Kafka
import Relay

/// Row 12: the relay's CPU per event when its brokers are far. The relay runs as a child process
/// (so its CPU time is its own) against three brokers of this process's embedded cluster and the
/// instant sink: row 4's workload with the brokers answering at once (the ceiling), then a second
/// one with every broker answering ``rttMilliseconds`` late, as a cluster in another zone with
/// `acks=all` does. librdkafka's idempotent producer polled without sleeping while a partition's
/// request was in flight, so the farther the brokers, the more CPU per event (docs/DESIGN.md,
/// fourteenth session); this row keeps that in sight.
struct FarBrokersBench {
    /// The round-trip time of the second phase.
    static let rttMilliseconds = 20
    /// Brokers in the cluster: the relay's partitions spread over several connections.
    static let brokers = 3

    /// Shared settings.
    let context: BenchContext

    /// One phase's numbers.
    private struct Phase {
        var rate: Double
        var cpuSeconds: Double
        var events: Int
        var microsecondsPerEvent: Double { 1e6 * self.cpuSeconds / Double(self.events) }
    }

    /// Runs both phases with one cluster and one child relay.
    func run() async throws -> RowResult {
        let logger = self.context.logger
        return try await InstantSink.withRunning { _, endpoint in
            let broker = try await BenchBroker(
                topics: [
                    BenchBroker.Topic.accountCreated: 12, BenchBroker.Topic.milestoneReached: 12,
                    BenchBroker.Topic.outcomes: 12, BenchBroker.Topic.dlq: 3, BenchBroker.Topic.referees: 6,
                ],
                brokers: Self.brokers,
                logger: logger
            )
            let child = try ChildRelay(
                executable: self.context.relayExecutable,
                environment: ChildRelay.runEnvironment(broker: broker, endpoint: endpoint, groupID: "bench-far"))
            do {
                let probe = OpsProbe(
                    httpClient: self.context.httpClient, port: try await child.opsPort(timeout: .seconds(30)))
                try await probe.waitUntilReady(timeout: .seconds(30))
                let near = try await self.phase("fn", child: child, broker: broker)
                for id in 1...Self.brokers {
                    try await broker.cluster.setRTT(broker: Int32(id), milliseconds: Self.rttMilliseconds)
                }
                let far = try await self.phase("ff", child: child, broker: broker)
                let status = await child.stop(timeout: .seconds(30))
                guard status == 0 else {
                    throw BenchError(
                        "referral-relay exited with \(status.map { String($0) } ?? "SIGKILL"); log: \(child.logPath)")
                }
                return Self.result(near: near, far: far)
            } catch {
                _ = await child.stop(timeout: .seconds(10))
                throw error
            }
        }
    }

    /// Loads a workload and waits for its outcomes; the relay's CPU from before the load to the
    /// last outcome is the phase's.
    private func phase(_ run: String, child: ChildRelay, broker: BenchBroker) async throws -> Phase {
        let sizes = self.context.sizes
        let workload = RelayWorkload(run: run, accounts: sizes.relayEvents / 2, milestones: sizes.relayEvents / 2)
        let collector = try await OutcomeCollector(
            broker: broker, expected: workload.events, fetchWaitMilliseconds: 100, run: run)
        guard let before = ProcessCPU.seconds(pid: child.pid) else { throw BenchError("referral-relay is gone") }
        async let collected = collector.collect(timeout: .seconds(max(180, workload.events / 100)))
        try await workload.load(into: broker)
        guard try await collected else {
            throw BenchError(
                "\(workload.events - collector.distinctCount) of \(workload.events) events have no outcome")
        }
        guard let after = ProcessCPU.seconds(pid: child.pid) else { throw BenchError("referral-relay is gone") }
        let tally = OutcomeTally(collector.arrivals)
        try tally.verify(expected: workload.events, allowed: ["advanced"])
        return Phase(rate: tally.rate, cpuSeconds: after - before, events: workload.events)
    }

    private static func result(near: Phase, far: Phase) -> RowResult {
        func cpu(_ phase: Phase) -> String { "\(Int(phase.microsecondsPerEvent.rounded())) us CPU/event" }
        return RowResult(
            row: .farBrokers,
            stage: BenchRow.farBrokers.stage,
            what:
                "row 4's workload, referral-relay child, \(Self.brokers) brokers answering \(Self.rttMilliseconds) ms late",
            result: "\(far.rate.grouped) ev/s, \(cpu(far))",
            ceiling: "\(near.rate.grouped) ev/s, \(cpu(near)) (answering at once)",
            ratio: far.microsecondsPerEvent / near.microsecondsPerEvent,
            numbers: [
                "events_per_phase": Double(far.events), "rtt_ms": Double(Self.rttMilliseconds),
                "brokers": Double(Self.brokers),
                "far_events_per_second": far.rate, "far_cpu_seconds": far.cpuSeconds,
                "far_cpu_us_per_event": far.microsecondsPerEvent,
                "near_events_per_second": near.rate, "near_cpu_seconds": near.cpuSeconds,
                "near_cpu_us_per_event": near.microsecondsPerEvent,
            ],
            notes: [
                "the relay runs as a child process (defaults but ops port 0 and a 2 s drain); its CPU time "
                    + "(/proc/<pid>/stat) from before each phase's load to its last outcome, divided by the events",
                "ceiling: the same relay and cluster with the brokers answering at once, measured first; "
                    + "ratio = CPU per event far / near (1.0: distance costs no CPU)",
                "the rate far away is bound by the window: \(RelayConfiguration.Delivery().maxInFlight) events in flight (the default), each waiting on round trips",
            ]
        )
    }
}
