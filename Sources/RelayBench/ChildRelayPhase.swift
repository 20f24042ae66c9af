/// Row 4's workload through a child relay, with the relay's CPU per event (rows 12 and 13):
/// CPU time charged to the relay alone is steadier than a rate on this machine, whose runs of
/// one binary spread by ±15%.
struct ChildRelayPhase: Sendable {
    /// Events per second between the first and last outcome.
    var rate: Double
    /// The relay's CPU time from before the load to the last outcome.
    var cpuSeconds: Double
    /// Events in the workload.
    var events: Int

    /// The relay's CPU per event, microseconds.
    var microsecondsPerEvent: Double { 1e6 * self.cpuSeconds / Double(self.events) }

    /// The phase's numbers for `--json`, each key starting with `name`.
    func numbers(_ name: String) -> [String: Double] {
        [
            "\(name)_events_per_second": self.rate, "\(name)_cpu_seconds": self.cpuSeconds,
            "\(name)_cpu_us_per_event": self.microsecondsPerEvent,
        ]
    }

    /// The CPU per event for a table cell.
    var cpuPerEvent: String { "\(Int(self.microsecondsPerEvent.rounded())) us CPU/event" }

    /// Waits until the child's ops server says it is ready (joined, referee store restored).
    ///
    /// - Throws: ``BenchError`` when it is not within 30 s.
    static func waitUntilReady(_ child: ChildRelay, context: BenchContext) async throws {
        let probe = OpsProbe(httpClient: context.httpClient, port: try await child.opsPort(timeout: .seconds(30)))
        try await probe.waitUntilReady(timeout: .seconds(30))
    }

    /// Loads row 4's workload (run `run`) and waits for its outcomes, each of which must be
    /// `advanced`; the relay's CPU from before the load to the last outcome is the phase's.
    ///
    /// - Throws: ``BenchError`` when an event has no outcome, a wrong one, or the relay is gone.
    static func measure(
        _ run: String, child: ChildRelay, broker: BenchBroker, context: BenchContext
    ) async throws -> ChildRelayPhase {
        let sizes = context.sizes
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
        return ChildRelayPhase(rate: tally.rate, cpuSeconds: after - before, events: workload.events)
    }
}
