import AsyncHTTPClient
import Foundation
import Kafka
import ReferralKit

/// Row 6: end-to-end latency at a fixed offered load, the relay next to the floor loop on the
/// same broker and sink, one after the other.
struct LatencyBench {
    /// Shared settings.
    let context: BenchContext

    /// Measures the relay, then the floor.
    func run() async throws -> RowResult {
        let sizes = self.context.sizes
        let load = OfferedLoad(rate: sizes.latencyRate, seconds: sizes.latencySeconds)
        let logger = self.context.logger
        let (relay, floor) = try await InstantSink.withRunning { _, endpoint in
            var topics = [
                BenchBroker.Topic.accountCreated: 12, BenchBroker.Topic.milestoneReached: 12,
                BenchBroker.Topic.outcomes: 12, BenchBroker.Topic.dlq: 3, BenchBroker.Topic.referees: 6,
            ]
            topics[FloorLoop.input] = 12
            topics[FloorLoop.output] = 12
            let broker = try await BenchBroker(topics: topics, logger: logger)
            let relay = try await self.relay(broker: broker, endpoint: endpoint, load: load)
            let floor = try await self.floor(broker: broker, endpoint: endpoint, load: load)
            return (relay, floor)
        }
        var numbers: [String: Double] = [
            "rate": Double(load.rate), "seconds": load.seconds, "events": Double(load.total),
        ]
        for (name, stats) in [("relay", relay), ("floor", floor)] {
            numbers["\(name)_p50_ms"] = stats.p50
            numbers["\(name)_p99_ms"] = stats.p99
            numbers["\(name)_p999_ms"] = stats.p999
            numbers["\(name)_max_ms"] = stats.max
        }
        return RowResult(
            row: .latency,
            stage: BenchRow.latency.stage,
            what: "\(load.rate.grouped) ev/s for \(load.seconds) s, outcome arrival - input record timestamp",
            result: relay.summary,
            ceiling: "floor " + floor.summary,
            ratio: relay.p50 / max(0.001, floor.p50),
            numbers: numbers,
            notes: [
                "relay in process with kafka.properties fetch.wait.max.ms=1 (its consumer; the embedded broker "
                    + "answers a fetch with no data only when this wait ends, where a real broker answers as soon as "
                    + "data arrives); outcomes read by a raw consumer with fetch.wait.max.ms=1; latency = arrival - outcome source.timestamp (the input "
                    + "record's CreateTime, set when produced with linger 0)",
                "floor: raw KafkaConsumer (fetch.wait.max.ms=1) -> one unsigned POST to the sink -> KafkaProducer "
                    + "publish with the relay's producer settings carrying the input timestamp, read and measured the same way",
                "ratio = relay p50 / floor p50; HdrHistogram, 3 significant digits",
            ]
        )
    }

    private func relay(broker: BenchBroker, endpoint: String, load: OfferedLoad) async throws -> LatencyStats {
        let collector = try await OutcomeCollector(broker: broker, expected: load.total, fetchWaitMilliseconds: 1)
        let configuration = InProcessRelay.configuration(
            brokers: broker.brokers, groupID: "bench-latency", endpoint: endpoint,
            properties: ["fetch.wait.max.ms": "1"])
        let httpClient = self.context.httpClient
        let complete = try await InProcessRelay.withRunning(configuration: configuration, logger: self.context.logger) {
            port in
            try await OpsProbe(httpClient: httpClient, port: port).waitUntilReady(timeout: .seconds(30))
            async let collected = collector.collect(timeout: .seconds(load.seconds + 120))
            try await load.run(broker: broker) { index in
                InputRecords.accountCreated(
                    topic: BenchBroker.Topic.accountCreated, account: InputRecords.accountID(run: "l", index),
                    referred: true)
            }
            return try await collected
        }
        guard complete else {
            throw BenchError("relay: \(load.total - collector.distinctCount) of \(load.total) events have no outcome")
        }
        let tally = OutcomeTally(collector.arrivals)
        try tally.verify(expected: load.total, allowed: ["advanced"])
        // Diagnosis only: `BENCH_DUMP=<file>` writes each outcome's arrival (µs) and latency (µs),
        // to see when in the run the slow ones came.
        if let path = ProcessInfo.processInfo.environment["BENCH_DUMP"] {
            let lines = zip(collector.arrivals, tally.latenciesMicroseconds).map {
                "\($0.0.arrivalMicroseconds) \($0.1)"
            }
            try? lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        return LatencyStats(microseconds: tally.latenciesMicroseconds)
    }

    private func floor(broker: BenchBroker, endpoint: String, load: OfferedLoad) async throws -> LatencyStats {
        // The relay's transport, so the floor is no slower than the relay could be.
        let pool = try ReferralConnectionPool(endpoint: endpoint)
        do {
            let stats = try await self.floor(
                broker: broker, load: load, loop: FloorLoop(broker: broker, endpoint: endpoint, pool: pool))
            await pool.shutdown()
            return stats
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    private func floor(broker: BenchBroker, load: OfferedLoad, loop: FloorLoop) async throws -> LatencyStats {
        let collector = try await OutcomeCollector(
            broker: broker, topic: FloorLoop.output, expected: load.total, fetchWaitMilliseconds: 1)
        async let collected = collector.collect(timeout: .seconds(load.seconds + 120))
        async let looped: Void = loop.run(count: load.total, timeout: .seconds(load.seconds + 120))
        try await load.run(broker: broker) { index in
            InputRecords.accountCreated(
                topic: FloorLoop.input, account: InputRecords.accountID(run: "f", index), referred: true)
        }
        try await looped
        guard try await collected else { throw BenchError("floor: outcomes missing") }
        let latencies = collector.arrivals.compactMap { arrival in
            arrival.message.timestamp.map { arrival.arrivalMicroseconds - $0.milliseconds * 1000 }
        }
        return LatencyStats(microseconds: latencies)
    }
}
