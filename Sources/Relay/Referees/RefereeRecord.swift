import Foundation

/// What the referee store knows about one referred account: the token its `account-created`
/// carried, the server it belongs to and how its `registered` ended. The value of the compacted
/// referees topic (key: the account id), schema `schemas/referee.v1.json`.
public struct RefereeRecord: Sendable, Hashable, Codable {
    /// How the account's `registered` ended, as far as the relay knows.
    public enum Registration: String, Sendable, Hashable, Codable, CaseIterable {
        /// Read, not yet settled: a `qualified` waits for it.
        case pending
        /// MMOLove advanced the referral.
        case advanced
        /// MMOLove had it already.
        case duplicate
        /// A dry run passed verification.
        case test
        /// Another referrer registered this referee first.
        case firstTouchConflict = "first_touch_conflict"
        /// MMOLove refused it for this event.
        case rejected
        /// Retries were exhausted (dead-lettered; a re-drive may still register it).
        case failed

        /// The registration MMOLove accepted: a `qualified` for the account may be sent.
        public var mayQualify: Bool { self == .advanced || self == .duplicate || self == .test }
        /// The registration failed: a `qualified` for the account is not sent.
        public var hasFailed: Bool { self == .firstTouchConflict || self == .rejected || self == .failed }

        /// The registration an outcome status stands for.
        public init(_ status: OutcomeStatus) {
            switch status {
            case .advanced: self = .advanced
            case .duplicate: self = .duplicate
            case .test: self = .test
            case .firstTouchConflict: self = .firstTouchConflict
            case .rejected, .registrationFailed: self = .rejected
            case .failed: self = .failed
            }
        }
    }

    /// The record's schema id.
    public static let schema = "referral-relay.referee.v1"

    /// The account id (also the record key).
    public var accountID: String
    /// The `mmref` token its `account-created` carried.
    public var mmref: String
    /// The MMOLove server of its events (the event's, else the configured default).
    public var serverID: String?
    /// How its `registered` ended.
    public var registration: Registration
    /// When the relay wrote this, in Unix milliseconds.
    public var updatedAtMilliseconds: Int64

    /// Creates a record.
    public init(
        accountID: String, mmref: String, serverID: String?, registration: Registration, updatedAtMilliseconds: Int64
    ) {
        self.accountID = accountID
        self.mmref = mmref
        self.serverID = serverID
        self.registration = registration
        self.updatedAtMilliseconds = updatedAtMilliseconds
    }

    private enum CodingKeys: String, CodingKey {
        case schema, mmref, registration
        case accountID = "account_id"
        case serverID = "server_id"
        case updatedAtMilliseconds = "updated_at_ms"
    }

    /// Decodes a record; the schema must be this one.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let schema = try container.decode(String.self, forKey: .schema)
        guard schema == Self.schema else {
            throw DecodingError.dataCorruptedError(
                forKey: .schema, in: container, debugDescription: "unknown referee schema \(schema)")
        }
        self.accountID = try container.decode(String.self, forKey: .accountID)
        self.mmref = try container.decode(String.self, forKey: .mmref)
        self.serverID = try container.decodeIfPresent(String.self, forKey: .serverID)
        self.registration = try container.decode(Registration.self, forKey: .registration)
        self.updatedAtMilliseconds = try container.decode(Int64.self, forKey: .updatedAtMilliseconds)
    }

    /// The record as written to the topic: compact JSON in the schema's key order, the same
    /// value `encode(to:)` gives (`RefereeRecordJSONTests`). The store writes one or two
    /// of these per `registered`, and a `JSONEncoder` built for each showed in the relay's
    /// profile at full speed.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter(capacity: 160)
        writer.beginObject()
        writer.member("schema", Self.schema)
        writer.member("account_id", accountID)
        writer.member("mmref", mmref)
        if let serverID { writer.member("server_id", serverID) }
        writer.member("registration", registration.rawValue)
        writer.member("updated_at_ms", updatedAtMilliseconds)
        writer.endObject()
        return writer.bytes
    }

    /// Encodes the record with its schema id.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.schema, forKey: .schema)
        try container.encode(accountID, forKey: .accountID)
        try container.encode(mmref, forKey: .mmref)
        try container.encodeIfPresent(serverID, forKey: .serverID)
        try container.encode(registration, forKey: .registration)
        try container.encode(updatedAtMilliseconds, forKey: .updatedAtMilliseconds)
    }
}

/// How far one `account-created` partition has been written to the store: every record of it
/// with a timestamp up to ``throughMilliseconds`` is in the store (when it was referred). A
/// milestone without `mmref` whose account the store does not know is not referred once every
/// `account-created` partition is through its time. Value of the referees topic under the key
/// `progress:<topic>:<partition>`, with the header `referral-relay.kind: progress`.
public struct RefereeProgress: Sendable, Hashable, Codable {
    /// The record's schema id.
    public static let schema = "referral-relay.referee-progress.v1"
    /// The header that marks a progress record.
    public static let kindHeader = "referral-relay.kind"

    /// The input topic (`account-created`'s name).
    public var topic: String
    /// Its partition.
    public var partition: Int32
    /// Records up to this timestamp (Unix milliseconds) are in the store.
    public var throughMilliseconds: Int64

    /// Creates a progress record.
    public init(topic: String, partition: Int32, throughMilliseconds: Int64) {
        self.topic = topic
        self.partition = partition
        self.throughMilliseconds = throughMilliseconds
    }

    /// The record key.
    public var key: String { "progress:\(topic):\(partition)" }

    private enum CodingKeys: String, CodingKey {
        case schema, topic, partition
        case throughMilliseconds = "through_ms"
    }

    /// Decodes a progress record; the schema must be this one.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let schema = try container.decode(String.self, forKey: .schema)
        guard schema == Self.schema else {
            throw DecodingError.dataCorruptedError(
                forKey: .schema, in: container, debugDescription: "unknown progress schema \(schema)")
        }
        self.topic = try container.decode(String.self, forKey: .topic)
        self.partition = try container.decode(Int32.self, forKey: .partition)
        self.throughMilliseconds = try container.decode(Int64.self, forKey: .throughMilliseconds)
    }

    /// Encodes the record with its schema id.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.schema, forKey: .schema)
        try container.encode(topic, forKey: .topic)
        try container.encode(partition, forKey: .partition)
        try container.encode(throughMilliseconds, forKey: .throughMilliseconds)
    }
}
