import Foundation
import Kafka
import Logging

extension RefereeStore {
    /// What a restore did, for `referral-relay referees restore` and the benchmark suite.
    public struct RestoreSummary: Sendable {
        /// Accounts in the local copy afterwards.
        public var accounts: Int
        /// How long the restore took (from the first read to the last apply).
        public var duration: Duration
        /// Bytes of the local copy's files on disk afterwards.
        public var bytesOnDisk: Int64
        /// The local copy's directory.
        public var directory: String
    }

    /// Opens the store of `configuration` on its own: its local copy, its consumer and a producer
    /// (a tool's store never writes, but the store is built to).
    ///
    /// - Throws: ``RefereeStoreError`` when the store is off; when the copy or clients cannot be
    ///   created.
    public static func open(configuration: RelayConfiguration, logger: Logger) throws -> RefereeStore {
        var configuration = configuration
        configuration.referees.enabled = true
        let producer = try KafkaProducer(
            configuration: configuration.producerConfiguration(clientID: "referral-relay-referees-tool"), logger: logger
        )
        guard let store = try makeRefereeStore(configuration, producer: producer, logger: logger) else {
            throw RefereeStoreError.missingTopic(configuration.kafka.topics.referees)
        }
        return store
    }

    /// Brings the local copy up to the topic's end offsets at start, then stops following.
    ///
    /// - Throws: ``RefereeStoreError`` or a Kafka error.
    public func restore() async throws -> RestoreSummary {
        let started = ContinuousClock.now
        try await self.start()
        let following = Task { try await self.follow() }
        await self.waitUntilRestored()
        let duration = ContinuousClock.now - started
        await self.close()
        try await following.value
        return RestoreSummary(
            accounts: await self.count(), duration: duration, bytesOnDisk: self.bytesOnDisk,
            directory: self.directory)
    }

    /// Bytes of the local copy's files (the database, its write-ahead log and shared memory).
    public var bytesOnDisk: Int64 {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            return total + ((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }
}
