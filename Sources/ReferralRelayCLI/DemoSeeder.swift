import Kafka
import Logging
import Synchronization

/// Produces the demo's input records through a real ``KafkaProducer`` and remembers where each
/// one landed, so outcomes and dead letters can be traced back to it.
final class DemoSeeder: Sendable {
    private let producer: KafkaProducer
    private let reportsByRecord = Mutex<[DemoSeedRecord: KafkaDeliveryReport]>([:])

    /// Creates the producer.
    init(bootstrapServers: [String], logger: Logger) throws(KafkaError) {
        var configuration = KafkaProducerConfiguration(bootstrapServers: bootstrapServers)
        configuration.clientID = "referral-relay-demo-seeder"
        configuration.linger = .milliseconds(1)
        self.producer = try KafkaProducer(configuration: configuration, logger: logger)
    }

    /// Where each produced record was written.
    var reports: [DemoSeedRecord: KafkaDeliveryReport] { self.reportsByRecord.withLock { $0 } }

    /// Produces `records` one after the other, so their order within a partition is the
    /// order given (a player's milestones arrive in the order reached).
    func produce(_ records: [DemoSeedRecord]) async throws(KafkaError) {
        for record in records {
            let report = try await self.producer.send(
                KafkaProducerRecord(topic: record.topic, key: Array(record.key.utf8), value: Array(record.value.utf8))
            )
            self.reportsByRecord.withLock { $0[record] = report }
        }
    }

    /// Flushes and closes the producer.
    func close() async {
        await self.producer.close(timeout: .seconds(5))
    }
}
