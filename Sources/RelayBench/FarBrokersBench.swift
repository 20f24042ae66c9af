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
            return try await child.stoppingAfter {
                try await ChildRelayPhase.waitUntilReady(child, context: self.context)
                let near = try await ChildRelayPhase.measure("fn", child: child, broker: broker, context: self.context)
                for id in 1...Self.brokers {
                    try await broker.cluster.setRTT(broker: Int32(id), milliseconds: Self.rttMilliseconds)
                }
                let far = try await ChildRelayPhase.measure("ff", child: child, broker: broker, context: self.context)
                return Self.result(near: near, far: far)
            }
        }
    }

    private static func result(near: ChildRelayPhase, far: ChildRelayPhase) -> RowResult {
        return RowResult(
            row: .farBrokers,
            stage: BenchRow.farBrokers.stage,
            what:
                "row 4's workload, referral-relay child, \(Self.brokers) brokers answering \(Self.rttMilliseconds) ms late",
            result: "\(far.rate.grouped) ev/s, \(far.cpuPerEvent)",
            ceiling: "\(near.rate.grouped) ev/s, \(near.cpuPerEvent) (answering at once)",
            ratio: far.microsecondsPerEvent / near.microsecondsPerEvent,
            numbers: [
                "events_per_phase": Double(far.events), "rtt_ms": Double(Self.rttMilliseconds),
                "brokers": Double(Self.brokers),
            ].merging(far.numbers("far")) { $1 }.merging(near.numbers("near")) { $1 },
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
