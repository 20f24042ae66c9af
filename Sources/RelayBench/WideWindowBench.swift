import Relay

/// Row 13: the relay's CPU per event with a wide window (`RELAY_MAX_IN_FLIGHT` 4,096, a value
/// operators reach for when a backlog drains slowly) against the default one. Each runs row 4's
/// workload in a child relay of its own, on a broker of its own, against the instant sink.
///
/// The adaptive concurrency limit starts at 32 and grows by one per round trip, so in such a
/// run nearly the whole window waits for permits. Each server's queue of waiters was copied on
/// every change (a copy of its entry shared the queue's storage): this row with the relay from
/// before the fix gave 4,359 events/s and 389 us of CPU per event with this window, against
/// 68 us with the default one. It keeps that kind of cost, one growing with the window, in sight.
struct WideWindowBench {
    /// The wide window.
    static let maxInFlight = 4_096

    /// Shared settings.
    let context: BenchContext

    /// Runs the default window first (the ceiling), then the wide one.
    func run() async throws -> RowResult {
        try await InstantSink.withRunning { _, endpoint in
            let standard = try await self.phase("wd", maxInFlight: nil, endpoint: endpoint)
            let wide = try await self.phase("ww", maxInFlight: Self.maxInFlight, endpoint: endpoint)
            return Self.result(standard: standard, wide: wide)
        }
    }

    /// One window's run: a broker and a child relay of its own (so nothing of the other run is
    /// read or committed), stopped after its outcomes; the broker outlives the child.
    private func phase(_ run: String, maxInFlight: Int?, endpoint: String) async throws -> ChildRelayPhase {
        let broker = try await BenchBroker.relayTopics(inputPartitions: 12, logger: self.context.logger)
        var environment = ChildRelay.runEnvironment(broker: broker, endpoint: endpoint, groupID: "bench-\(run)")
        if let maxInFlight { environment[EnvironmentKey.maxInFlight.rawValue] = "\(maxInFlight)" }
        let child = try ChildRelay(executable: self.context.relayExecutable, environment: environment)
        return try await child.stoppingAfter {
            try await ChildRelayPhase.waitUntilReady(child, context: self.context)
            return try await ChildRelayPhase.measure(run, child: child, broker: broker, context: self.context)
        }
    }

    private static func result(standard: ChildRelayPhase, wide: ChildRelayPhase) -> RowResult {
        let defaultWindow = RelayConfiguration.Delivery().maxInFlight
        return RowResult(
            row: .wideWindow,
            stage: BenchRow.wideWindow.stage,
            what: "row 4's workload, referral-relay child, RELAY_MAX_IN_FLIGHT=\(Self.maxInFlight)",
            result: "\(wide.rate.grouped) ev/s, \(wide.cpuPerEvent)",
            ceiling: "\(standard.rate.grouped) ev/s, \(standard.cpuPerEvent) (window \(defaultWindow))",
            ratio: wide.microsecondsPerEvent / standard.microsecondsPerEvent,
            numbers: ["events_per_phase": Double(wide.events), "max_in_flight": Double(Self.maxInFlight)]
                .merging(wide.numbers("wide")) { $1 }.merging(standard.numbers("default")) { $1 },
            notes: [
                "each window in a child relay of its own (defaults but ops port 0 and a 2 s drain) on a broker of "
                    + "its own; its CPU time (/proc/<pid>/stat) from before the load to the last outcome, per event",
                "ceiling: the default window (\(defaultWindow)), measured first; ratio = CPU per event wide / default "
                    + "(1.0: a wider window costs no CPU per event)",
                "the adaptive concurrency limit starts at 32 in both, so most of the wide window waits for permits",
            ]
        )
    }
}
