import Foundation

/// A parsed librdkafka statistics report (see librdkafka's STATISTICS.md), with what the
/// relay turns into metrics; the full JSON is kept in ``json``.
public struct KafkaStatistics: Sendable {
    /// Per-partition figures.
    public struct Partition: Sendable, Hashable {
        /// Records between the consumer's position and the high watermark (`consumer_lag`);
        /// `nil` when librdkafka does not know it yet (-1).
        public var consumerLag: Int64?
        /// The partition's high watermark (`hi_offset`); `nil` when unknown.
        public var highWatermark: Int64?
        /// The last committed offset (`committed_offset`); `nil` when none.
        public var committedOffset: Int64?
        /// Records waiting in the local queues for this partition (`msgq_cnt` + `xmit_msgq_cnt`).
        public var queuedMessages: Int64
    }

    /// The client's name (`name`), e.g. `referral-relay#consumer-1`.
    public var clientName: String
    /// `producer` or `consumer` (`type`).
    public var clientType: String
    /// Records in the producer queues (`msg_cnt`).
    public var queuedMessages: Int64
    /// Records transmitted to brokers (`txmsgs`).
    public var transmittedMessages: Int64
    /// Records received from brokers (`rxmsgs`).
    public var receivedMessages: Int64
    /// Per assigned/produced partition (librdkafka's internal partition -1 is left out).
    public var partitions: [KafkaTopicPartition: Partition]
    /// The raw JSON report.
    public var json: String

    /// Parses a statistics report; `nil` when it is not the expected JSON.
    public init?(json bytes: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }
        clientName = object["name"] as? String ?? ""
        clientType = object["type"] as? String ?? ""
        queuedMessages = int(object["msg_cnt"]) ?? 0
        transmittedMessages = int(object["txmsgs"]) ?? 0
        receivedMessages = int(object["rxmsgs"]) ?? 0
        json = String(decoding: bytes, as: UTF8.self)
        partitions = [:]
        let topics = object["topics"] as? [String: Any] ?? [:]
        for (topic, value) in topics {
            let partitionObjects = (value as? [String: Any])?["partitions"] as? [String: Any] ?? [:]
            for (key, value) in partitionObjects {
                guard let id = Int32(key), id >= 0, let fields = value as? [String: Any] else { continue }
                func known(_ name: String) -> Int64? { int(fields[name]).flatMap { $0 >= 0 ? $0 : nil } }
                partitions[KafkaTopicPartition(topic: topic, partition: id)] = Partition(
                    consumerLag: known("consumer_lag"),
                    highWatermark: known("hi_offset"),
                    committedOffset: known("committed_offset"),
                    queuedMessages: (int(fields["msgq_cnt"]) ?? 0) + (int(fields["xmit_msgq_cnt"]) ?? 0)
                )
            }
        }
    }
}
