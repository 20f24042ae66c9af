/// An outcome record as the reward service reads it (output contract v1), decoded on its own
/// from the JSON so the demo checks the wire, not the relay's Swift types.
struct DemoOutcome: Decodable, Sendable, Hashable {
    /// Where the input record was.
    struct Source: Decodable, Sendable, Hashable {
        /// The input topic.
        var topic: String
        /// Its partition.
        var partition: Int32
        /// Its offset.
        var offset: Int64
    }

    /// `referral-outcome/v1`.
    var schema: String
    /// `advanced`, `duplicate`, `first_touch_conflict`, `test`, `rejected` or `failed`.
    var status: String
    /// `registered` or `qualified`.
    var event: String
    /// The account id.
    var accountID: String
    /// The MMOLove server id.
    var serverID: String?
    /// `reg-<account>` or `qual-<account>`.
    var serverEventID: String
    /// The token.
    var mmref: String?
    /// Whether the reward service grants a reward.
    var reward: Bool
    /// The last HTTP status (absent without an answer).
    var httpStatus: Int?
    /// Attempts made.
    var attempts: Int
    /// The input record.
    var source: Source
    /// Whether this outcome comes from a replay.
    var replay: Bool

    private enum CodingKeys: String, CodingKey {
        case schema, status, event, mmref, reward, attempts, source, replay
        case accountID = "account_id"
        case serverID = "server_id"
        case serverEventID = "server_event_id"
        case httpStatus = "http_status"
    }
}

/// One record read from the outcome topic: its raw JSON (for `--outcomes-file`) and, when it
/// decodes, the outcome.
struct DemoReceivedOutcome: Sendable {
    /// The record key.
    var key: String?
    /// The record value as text.
    var raw: String
    /// The decoded outcome, `nil` when the value does not match the contract.
    var outcome: DemoOutcome?
    /// Why it did not decode.
    var decodeError: String?
}

/// One record read from the dead-letter topic.
struct DemoReceivedDeadLetter: Sendable {
    /// The record key.
    var key: [UInt8]?
    /// The record value.
    var value: [UInt8]
    /// The headers by name (the last one wins).
    var headers: [String: String]

    /// The `__connect.errors.<name>` header.
    func context(_ name: String) -> String? { self.headers["__connect.errors." + name] }
}
