import Foundation
import Kafka
import ReferralKit

/// One record of the outcome topic (output contract v1, `schemas/referral-outcome.v1.json`).
///
/// Encoded by hand (``encoded()``) in the schema's key order, compact UTF-8, timestamps as RFC
/// 3339 UTC with milliseconds; decodable with `JSONDecoder` so tests and consumers can read
/// outcomes back. `schemas/examples/referral-outcome/valid/` holds byte-exact outputs of this
/// encoder, validated against the schema by `tests/schemas`.
public struct OutcomeRecord: Sendable, Hashable {
    /// The value of `schema` and of the `schema` header.
    public static let schemaName = "referral-outcome/v1"

    /// `schema`: always ``schemaName``.
    public var schema: String
    /// `status`.
    public var status: OutcomeStatus
    /// `event`: `registered` or `qualified`.
    public var event: ReferralEvent.Kind
    /// `account_id` (also the record key).
    public var accountID: String
    /// `server_id`; `nil` when the event had none and no default was configured.
    public var serverID: String?
    /// `server_event_id`: `reg-<account_id>` or `qual-<account_id>`.
    public var serverEventID: String
    /// `mmref`.
    public var mmref: String
    /// `referral_id`, only when MMOLove returned one.
    public var referralID: String?
    /// `state`, only when MMOLove returned one.
    public var state: String?
    /// `reward`: true exactly when ``event`` is `qualified` and ``status`` is `advanced` or
    /// `duplicate` (see ``rewards(event:status:)``).
    public var reward: Bool
    /// `http_status`: the last attempt's; 0 after a transport failure; `nil` when nothing was sent.
    public var httpStatus: Int?
    /// `error`: the reason of a `rejected` or `failed` status.
    public var error: String?
    /// `attempts`.
    public var attempts: Int
    /// `first_attempt_at`; `nil` when nothing was sent.
    public var firstAttemptAt: Date?
    /// `completed_at`.
    public var completedAt: Date
    /// `source`: topic, partition, offset, timestamp of the input record.
    public var source: RecordSource
    /// `replay`: true for outcomes of a backfill run.
    public var replay: Bool
    /// `reduced`: true for an outcome cut down to fit the producer's limit (see
    /// ``reducedForm()``); written only when true.
    public var reduced: Bool = false

    /// Builds the outcome of `request` delivered with `result`.
    public init(request: DeliveryRequest, result: DeliveryResult, replay: Bool = false) {
        self.schema = Self.schemaName
        self.status = result.status
        self.event = request.kind
        self.accountID = request.accountID
        self.serverID = request.serverID
        self.serverEventID = request.serverEventID
        self.mmref = request.mmref
        self.referralID = result.referralID
        self.state = result.state
        self.reward = Self.rewards(event: request.kind, status: result.status)
        self.httpStatus = result.httpStatus
        self.error = result.error
        self.attempts = result.attempts
        self.firstAttemptAt = result.firstAttemptAt
        self.completedAt = result.completedAt
        self.source = request.source
        self.replay = replay
    }

    /// The reward rule: a `qualified` event that MMOLove advanced, or had already advanced
    /// (`duplicate`: the reward service grants once per `server_event_id`, so a replay is safe).
    public static func rewards(event: ReferralEvent.Kind, status: OutcomeStatus) -> Bool {
        event == .qualified && (status == .advanced || status == .duplicate)
    }

    /// The record value: compact JSON in the schema's key order.
    public func encoded() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.member("schema", schema)
        w.member("status", status.rawValue)
        w.member("event", event.rawValue)
        w.member("account_id", accountID)
        w.member("server_id", serverID)
        w.member("server_event_id", serverEventID)
        w.member("mmref", mmref)
        if let referralID { w.member("referral_id", referralID) }
        if let state { w.member("state", state) }
        w.member("reward", reward)
        w.member("http_status", httpStatus.map(Int64.init))
        w.member("error", error)
        w.member("attempts", Int64(attempts))
        w.member("first_attempt_at", timestampMilliseconds: firstAttemptAt.map(RFC3339.epochMilliseconds))
        w.member("completed_at", timestampMilliseconds: RFC3339.epochMilliseconds(completedAt))
        w.key("source")
        w.beginObject()
        w.member("topic", source.topic)
        w.member("partition", Int64(source.partition))
        w.member("offset", source.offset)
        w.member("timestamp", timestampMilliseconds: source.timestampMilliseconds)
        w.endObject()
        w.member("replay", replay)
        if reduced { w.member("reduced", true) }
        w.endObject()
        return w.bytes
    }

    /// The Kafka record for `topic`: key = account id, value = ``encoded()``, headers
    /// `content-type: application/json` and `schema: referral-outcome/v1`.
    public func producerRecord(topic: String) -> KafkaProducerRecord {
        KafkaProducerRecord(
            topic: topic,
            key: Array(accountID.utf8),
            value: encoded(),
            headers: Self.headers
        )
    }

    /// Every outcome record's headers, built once (not two arrays per record).
    static let headers = [
        KafkaHeader(key: "content-type", value: Array("application/json".utf8)),
        KafkaHeader(key: "schema", value: Array(schemaName.utf8)),
    ]
}
