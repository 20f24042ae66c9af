import Kafka

/// A producer offering records at a fixed rate (in 10 ms ticks), each stamped by librdkafka
/// when it is produced; latency is measured from that timestamp.
struct OfferedLoad: Sendable {
    /// Records per second.
    var rate: Int
    /// Seconds of load.
    var seconds: Double

    /// Records offered in all.
    var total: Int { Int((Double(self.rate) * self.seconds).rounded()) }

    /// Produces `record(index)` for every index at the rate, and returns once all were acknowledged.
    ///
    /// - Throws: ``KafkaError`` for a record not delivered.
    func run(broker: BenchBroker, _ record: @escaping @Sendable (Int) -> KafkaProducerRecord) async throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: broker.brokers)
        configuration.clientID = "bench-offered-load"
        // No batching delay: the record timestamp is taken at produce time.
        configuration.linger = .zero
        let producer = try KafkaProducer(configuration: configuration, logger: broker.logger)
        // Unprepared, librdkafka holds the first record to a topic ~1 s (its timestamp is older).
        try await producer.prepare(topics: [record(0).topic])
        let total = self.total
        let rate = Double(self.rate)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let clock = ContinuousClock()
                let start = clock.now
                var sent = 0
                while sent < total {
                    let due = min(total, Int(((clock.now - start).seconds * rate).rounded(.down)) + 1)
                    while sent < due {
                        let index = sent
                        group.addTask { _ = try await producer.send(record(index)) }
                        sent += 1
                    }
                    if sent < total { try await Task.sleep(for: .milliseconds(10)) }
                }
                try await group.waitForAll()
            }
        } catch {
            await producer.close()
            throw error
        }
        await producer.close()
    }
}
