import Foundation
import Kafka

/// The `mmref` of an input record, in every shape the input contract allows.
enum Mmref: Sendable, Hashable {
    /// A referral token.
    case token(String)
    /// `"mmref": null`: not referred.
    case null
    /// `"mmref": ""`: not referred.
    case empty
    /// No `mmref` key at all: not referred.
    case absent

    /// The `,"mmref":…` member (empty when absent).
    var jsonMember: String {
        switch self {
        case .token(let token): ",\"mmref\":\"\(token)\""
        case .null: ",\"mmref\":null"
        case .empty: ",\"mmref\":\"\""
        case .absent: ""
        }
    }

    /// The token, when referred.
    var token: String? {
        if case .token(let token) = self { token } else { nil }
    }
}

/// Where an input record landed.
struct InputPosition: Sendable, Hashable {
    var topic: String
    var partition: Int32
    var offset: Int64
}

extension RelayHarness {
    /// An `account-created` record (key = account id) as a game would publish it.
    static func accountCreated(_ account: String, mmref: Mmref, serverID: String? = nil) -> KafkaProducerRecord {
        let server = serverID.map { ",\"server_id\":\"\($0)\"" } ?? ""
        let value =
            "{\"account_id\":\"\(account)\"\(mmref.jsonMember)\(server),\"created_at\":\"2026-11-25T01:00:00Z\",\"region\":\"eu\"}"
        return KafkaProducerRecord(topic: accountCreated, key: Array(account.utf8), value: Array(value.utf8))
    }

    /// A `milestone-reached` record (key = account id).
    static func milestoneReached(_ account: String, milestone: String, mmref: Mmref) -> KafkaProducerRecord {
        let value =
            "{\"account_id\":\"\(account)\",\"milestone\":\"\(milestone)\"\(mmref.jsonMember),\"reached_at\":\"2026-11-25T01:30:00Z\"}"
        return KafkaProducerRecord(topic: milestoneReached, key: Array(account.utf8), value: Array(value.utf8))
    }

    /// Produces `records` concurrently and waits for every broker acknowledgement.
    ///
    /// - Returns: Where each record landed, in the order of `records`.
    @discardableResult
    func produce(_ records: [KafkaProducerRecord]) async throws -> [InputPosition] {
        let producer = self.producer
        return try await withThrowingTaskGroup(of: (Int, KafkaDeliveryReport).self) { group in
            for (index, record) in records.enumerated() {
                group.addTask { (index, try await producer.send(record)) }
            }
            var positions = [InputPosition?](repeating: nil, count: records.count)
            for try await (index, report) in group {
                positions[index] = InputPosition(
                    topic: report.topic, partition: report.partition, offset: report.offset)
            }
            return positions.map { $0! }
        }
    }

    /// A reader of the outcome topic and the DLQ from the beginning (close it when done).
    func outputReader() async throws -> TopicReader {
        try await TopicReader(self.cluster, topics: [Self.outcomes: Self.inputPartitions, Self.dlq: 1])
    }

    /// The input partitions whose committed offset (for the relay's group) differs from the high
    /// watermark, as `topic[p]: committed/high` lines; empty once everything is committed.
    func uncommittedInputPartitions() async throws -> [String] {
        let consumer = try KafkaFixtures.consumer(self.cluster, group: self.groupID)
        do {
            let behind = try await Self.uncommitted(consumer)
            await consumer.close()
            return behind
        } catch {
            await consumer.close()
            throw error
        }
    }

    private static func uncommitted(_ consumer: KafkaConsumer) async throws -> [String] {
        let partitions = [Self.accountCreated, Self.milestoneReached].flatMap { topic in
            (0..<Self.inputPartitions).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }
        }
        let committed = try await consumer.committed(partitions)
        var behind: [String] = []
        for partition in partitions {
            let high = try await consumer.watermarks(topic: partition.topic, partition: partition.partition).high
            let offset = committed[partition]
            // An empty partition has nothing to commit.
            if (offset ?? 0) != high {
                behind.append("\(partition): \(offset.map(String.init) ?? "none")/\(high)")
            }
        }
        return behind
    }

    /// Waits until the relay's group committed every input partition up to its high watermark.
    ///
    /// - Returns: The partitions still behind (empty on success).
    func waitForCommitsAtEnd(timeout: Duration = .seconds(15)) async throws -> [String] {
        var behind: [String] = []
        _ = try await eventually(timeout: timeout, interval: .milliseconds(250)) {
            behind = try await self.uncommittedInputPartitions()
            return behind.isEmpty
        }
        return behind
    }
}
