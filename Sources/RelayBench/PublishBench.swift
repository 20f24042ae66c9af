import Kafka

/// Row 2: outcome-sized records published the way the relay publishes (its own producer
/// configuration: acks=all, not idempotent, five requests in flight per broker, linger 1 ms; one
/// awaited delivery report per record, the relay's window in flight) vs a ceiling (leader acks,
/// a window forty times wider).
struct PublishBench {
    /// Shared settings.
    let context: BenchContext

    private static let topic = "bench-publish"

    /// A ~600-byte outcome-like JSON value for account `index`.
    static func value(_ index: Int) -> [UInt8] {
        let account = InputRecords.accountID(run: "p", index)
        let text =
            #"{"schema":"referral-outcome/v1","status":"advanced","event":"qualified","account_id":"\#(account)","#
            + #""server_id":"srv_bench","server_event_id":"qual-\#(account)","mmref":"mmr_\#(account)","#
            + #""referral_id":"ref_0123456789abcdef0123456789abcdef","state":"qualified","reward":true,"#
            + #""http_status":200,"error":null,"attempts":1,"first_attempt_at":"2026-11-29T07:00:00.512Z","#
            + #""completed_at":"2026-11-29T07:00:01.020Z","source":{"topic":"milestone-reached","partition":11,"#
            + #""offset":1234567,"timestamp":"2026-11-29T07:00:00.250Z"},"replay":false,"#
            + #""padding":"\#(String(repeating: "x", count: 130))"}"#
        return Array(text.utf8)
    }

    /// Measures both producers on one broker.
    func run() async throws -> RowResult {
        let sizes = self.context.sizes
        let broker = try await BenchBroker(topics: [Self.topic: 24], logger: self.context.logger)
        // The relay's own producer settings, so this row follows them when they change.
        let relayLike = InProcessRelay.configuration(brokers: broker.brokers, groupID: "bench-publish", endpoint: "")
            .producerConfiguration(clientID: "bench-publish-relay-like")
        var ceiling = KafkaProducerConfiguration(bootstrapServers: broker.brokers)
        ceiling.clientID = "bench-publish-ceiling"
        ceiling.enableIdempotence = false
        ceiling.acks = .leader
        ceiling.properties = ["queue.buffering.max.messages": "1000000"]
        let relayRate = try await self.measure(relayLike, window: sizes.publishWindow, offset: 0, broker: broker)
        let ceilingRate = try await self.measure(
            ceiling, window: sizes.publishCeilingWindow, offset: sizes.publishRecords, broker: broker)
        return RowResult(
            row: .publish,
            stage: BenchRow.publish.stage,
            what: "\(sizes.publishRecords.grouped) x \(Self.value(0).count) B records, each delivery report awaited",
            result: "\(relayRate.grouped) rec/s",
            ceiling: "\(ceilingRate.grouped) rec/s",
            ratio: relayRate / ceilingRate,
            numbers: [
                "records": Double(sizes.publishRecords), "value_bytes": Double(Self.value(0).count),
                "relay_like_records_per_second": relayRate, "ceiling_records_per_second": ceilingRate,
                "relay_like_window": Double(sizes.publishWindow), "ceiling_window": Double(sizes.publishCeilingWindow),
            ],
            notes: [
                "relay-like: KafkaProducer as the relay configures it (acks=all, not idempotent, "
                    + "5 requests in flight per broker, linger 1 ms), "
                    + "\(sizes.publishWindow) sends in flight (RELAY_MAX_IN_FLIGHT default), each awaited",
                "ceiling: same producer type, not idempotent, acks=1, linger 5 ms, "
                    + "\(sizes.publishCeilingWindow.grouped) sends in flight",
                "24 partitions; 1,000 warm-up records per producer not timed",
            ]
        )
    }

    /// Records per second for one producer configuration.
    private func measure(
        _ configuration: KafkaProducerConfiguration,
        window: Int,
        offset: Int,
        broker: BenchBroker
    ) async throws -> Double {
        let producer = try KafkaProducer(configuration: configuration, logger: self.context.logger)
        let count = self.context.sizes.publishRecords
        let delivered = Counter()
        let record: @Sendable (Int) -> KafkaProducerRecord = { index in
            let value = Self.value(offset + index)
            return KafkaProducerRecord(topic: Self.topic, key: Array("k\(offset + index)".utf8), value: value)
        }
        do {
            try await BoundedConcurrency.forEach(1000, window: window) { index in
                _ = try await producer.send(record(count * 2 + index))
            }
            let start = ContinuousClock.now
            try await BoundedConcurrency.forEach(count, window: window) { index in
                _ = try await producer.send(record(index))
                delivered.increment()
            }
            let seconds = (ContinuousClock.now - start).seconds
            await producer.close()
            guard delivered.current == count else {
                throw BenchError("\(delivered.current) of \(count) records delivered")
            }
            return Double(count) / max(1e-6, seconds)
        } catch {
            await producer.close()
            throw error
        }
    }
}
