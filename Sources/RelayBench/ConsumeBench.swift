import Foundation
import Kafka

/// Row 1: records the relay reads and skips (no `mmref`), relay vs a raw manual-assign consumer
/// on the same broker and records.
struct ConsumeBench {
    /// Shared settings.
    let context: BenchContext

    /// The ceiling reader's event buffer: large enough that the binding never pauses fetching.
    static let ceilingBuffer = 100_000

    /// Loads the records, measures the raw consumer, then the relay.
    func run() async throws -> RowResult {
        let count = self.context.sizes.consumeRecords
        let broker = try await BenchBroker.relayTopics(inputPartitions: 12, logger: self.context.logger)
        let half = count / 2
        // Stamped as a backlog is: written over the past (an hour ago, 2 ms apart, each
        // account's milestone 1 ms after its account-created). The referee store (on by
        // default) lets a milestone of an account it does not know go once every
        // account-created partition is through the milestone's time; records stamped a moment
        // before the run would measure that store's live wait (about 6 s, once) instead of
        // the consumption rate. The live wait is reported with row 5's latencies.
        let base = Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000
        try await broker.load(count) { index in
            let account = InputRecords.accountID(run: "c", index)
            var record =
                index < half
                ? InputRecords.accountCreated(
                    topic: BenchBroker.Topic.accountCreated, account: account, referred: false)
                : InputRecords.milestoneReached(
                    topic: BenchBroker.Topic.milestoneReached, account: account, referred: false)
            record.timestamp = base + Int64(index < half ? 2 * index : 2 * (index - half) + 1)
            return record
        }
        // The median of three reads: a reader whose first record came late (an offset lookup
        // librdkafka retried after 500 ms, see `TopicReader`) found most of the others in
        // memory and read them at 700,000-1,200,000 rec/s; one read in nine still does.
        var reads: [Double] = []
        for _ in 0..<3 {
            reads.append(try await self.rawRate(broker: broker, count: count, bufferCapacity: Self.ceilingBuffer))
        }
        reads.sort()
        let raw = reads[1]
        let rawDefault = try await self.rawRate(broker: broker, count: count, bufferCapacity: nil)
        let relay = try await self.relayRate(broker: broker, count: count)
        var caveats: [String] = []
        if relay.before * 2 >= count {
            caveats.append(
                "\(relay.before.grouped) of \(count.grouped) records were skipped before the first sample: "
                    + "too few to time at this size (use a larger --scale)")
        }
        return RowResult(
            row: .consume,
            stage: BenchRow.consume.stage,
            what: "\(count.grouped) not-referred records, both input topics (12 partitions each)",
            result: "\(relay.rate.grouped) rec/s",
            ceiling: "\(raw.grouped) rec/s (buffer 1,024: \(rawDefault.grouped))",
            ratio: relay.rate / raw,
            numbers: [
                "records": Double(count), "relay_records_per_second": relay.rate,
                "raw_records_per_second": raw, "raw_default_buffer_records_per_second": rawDefault,
                "raw_slowest_records_per_second": reads[0], "raw_fastest_records_per_second": reads[2],
                "relay_seconds": relay.seconds,
                "relay_records_before_first_sample": Double(relay.before),
            ],
            notes: [
                "relay: in process; timed from the first /metrics scrape (every 20 ms) showing "
                    + "relay_records_consumed_total > 0 (group join excluded) to relay_records_skipped_total = N; "
                    + "records already skipped at the first sample are not counted",
                "ceiling: KafkaConsumer, manual assign of all partitions from the beginning, event buffer "
                    + "\(Self.ceilingBuffer.grouped) (no back-pressure pauses), timed from the first record to the last, "
                    + "the median of three reads (\(reads.map(\.grouped).joined(separator: ", ")) rec/s); "
                    + "with the binding's default buffer (1,024, the relay's) it read \(rawDefault.grouped) rec/s",
            ] + caveats
        )
    }

    /// The raw consumer's records per second between its first and its last record.
    private func rawRate(broker: BenchBroker, count: Int, bufferCapacity: Int?) async throws -> Double {
        let reader = try await TopicReader(
            broker: broker,
            partitions: broker.topicPartitions([BenchBroker.Topic.accountCreated, BenchBroker.Topic.milestoneReached]),
            bufferCapacity: bufferCapacity)
        let span = Locked<(first: Int64, last: Int64, count: Int)>((0, 0, 0))
        let done = try await reader.read(timeout: .seconds(120)) { arrival in
            span.withLock { span in
                if span.count == 0 { span.first = arrival.arrivalMicroseconds }
                span.count += 1
                span.last = arrival.arrivalMicroseconds
                return span.count >= count
            }
        }
        let (first, last, seen) = span.withLock { $0 }
        guard done else { throw BenchError("raw consumer read \(seen) of \(count) records") }
        return Double(count - 1) / max(1e-6, Double(last - first) / 1e6)
    }

    /// The relay's skip rate from its metrics.
    private func relayRate(broker: BenchBroker, count: Int) async throws -> (rate: Double, seconds: Double, before: Int)
    {
        let configuration = InProcessRelay.configuration(
            brokers: broker.brokers, groupID: "bench-consume", endpoint: "http://127.0.0.1:9/unused")
        let names = ["relay_records_consumed_total", "relay_records_skipped_total", "relay_deliveries_total"]
        return try await InProcessRelay.withRunning(configuration: configuration, logger: self.context.logger) { port in
            let probe = OpsProbe(httpClient: self.context.httpClient, port: port)
            let deadline = ContinuousClock.now + .seconds(180)
            var start: (ContinuousClock.Instant, Int)?
            while ContinuousClock.now < deadline {
                let sums = try await probe.sums(names)
                let now = ContinuousClock.now
                let consumed = Int(sums["relay_records_consumed_total"] ?? 0)
                let skipped = Int(sums["relay_records_skipped_total"] ?? 0)
                if start == nil && consumed > 0 { start = (now, skipped) }
                if let start, skipped >= count {
                    let (startTime, before) = start
                    guard skipped == count, (sums["relay_deliveries_total"] ?? 0) == 0 else {
                        throw BenchError("relay skipped \(skipped) of \(count) records (deliveries: \(sums))")
                    }
                    let seconds = (now - startTime).seconds
                    return (Double(count - before) / max(1e-6, seconds), seconds, before)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw BenchError("relay did not skip \(count) records within 180 s")
        }
    }
}
