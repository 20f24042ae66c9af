import Foundation

/// A parsed librdkafka statistics report (see librdkafka's STATISTICS.md), with what the
/// relay turns into metrics; the full JSON is kept in ``json``.
public struct KafkaStatistics: Sendable {
    /// Per-partition figures. Offsets librdkafka does not know (negative: -1, -1001) are `nil`.
    public struct Partition: Sendable, Hashable {
        /// Records between the consumer's position and the high watermark (`consumer_lag`);
        /// `nil` when librdkafka does not know it yet (-1).
        public var consumerLag: Int64?
        /// The partition's high watermark (`hi_offset`); `nil` when unknown.
        public var highWatermark: Int64?
        /// The partition's low watermark, its oldest offset still in the log (`lo_offset`);
        /// `nil` when unknown.
        public var lowWatermark: Int64?
        /// The partition's last stable offset (`ls_offset`): the end a `read_committed` consumer
        /// reads up to (the high watermark unless a transaction is open); `nil` when unknown.
        public var lastStableOffset: Int64?
        /// The last committed offset (`committed_offset`); `nil` when none.
        public var committedOffset: Int64?
        /// Records waiting in the local queues for this partition (`msgq_cnt` + `xmit_msgq_cnt`).
        public var queuedMessages: Int64

        /// Creates per-partition figures (tests; reports are parsed with ``KafkaStatistics/init(json:)``).
        public init(
            consumerLag: Int64? = nil,
            highWatermark: Int64? = nil,
            lowWatermark: Int64? = nil,
            lastStableOffset: Int64? = nil,
            committedOffset: Int64? = nil,
            queuedMessages: Int64 = 0
        ) {
            self.consumerLag = consumerLag
            self.highWatermark = highWatermark
            self.lowWatermark = lowWatermark
            self.lastStableOffset = lastStableOffset
            self.committedOffset = committedOffset
            self.queuedMessages = queuedMessages
        }
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
    /// An idempotent producer's producer-id state (`eos.idemp_state`): `Assigned` once a broker
    /// granted it a producer id (which needs the `IdempotentWrite` permission); `nil` for other
    /// clients.
    public var idempotentState: String?
    /// The producer id an idempotent producer was granted (`eos.producer_id`); `nil` while none.
    public var producerID: Int64?
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
        let eos = object["eos"] as? [String: Any]
        idempotentState = eos?["idemp_state"] as? String
        producerID = int(eos?["producer_id"]).flatMap { $0 >= 0 ? $0 : nil }
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
                    lowWatermark: known("lo_offset"),
                    lastStableOffset: known("ls_offset"),
                    committedOffset: known("committed_offset"),
                    queuedMessages: (int(fields["msgq_cnt"]) ?? 0) + (int(fields["xmit_msgq_cnt"]) ?? 0)
                )
            }
        }
    }
}
