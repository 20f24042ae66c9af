import Foundation

/// The fields of a received body, decoded leniently and not yet validated: the canonical decoder
/// the sandbox uses, in two steps so it can select the secret by `server_id` before checking the
/// signature over the raw bytes.
///
/// - Important: Never re-encode these fields to verify a signature; verify the raw bytes.
public struct ReferralEventFields: Sendable, Hashable, Decodable {
    /// The `event` field as received.
    public var event: String?
    /// The `token` field as received.
    public var token: String?
    /// The `server_id` field as received.
    public var serverID: String?
    /// The `referee_identity` field as received.
    public var refereeIdentity: String?
    /// The `server_event_id` field as received.
    public var serverEventID: String?
    /// The `ts` field (unix seconds) as received.
    public var ts: Int64?
    /// The `test` field as received.
    public var test: Bool?

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case event
        case token
        case serverID = "server_id"
        case refereeIdentity = "referee_identity"
        case serverEventID = "server_event_id"
        case ts
        case test
    }

    /// Decodes the fields of a JSON object; unknown extra fields are ignored.
    ///
    /// - Parameter body: The raw body bytes.
    /// - Throws: ``ReferralError`` `invalidEvent` whose reason is the contract's error text:
    ///   `body is not valid JSON` or `invalid field: <name>` for a field of the wrong type.
    public static func decode(_ body: some Collection<UInt8>) throws(ReferralError) -> Self {
        do {
            return try JSONDecoder().decode(Self.self, from: Data(body))
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            guard let key = context.codingPath.first, context.codingPath.count == 1 else {
                throw ReferralError(.invalidEvent, reason: "body is not valid JSON")
            }
            throw ReferralError(.invalidEvent, reason: "invalid field: \(key.stringValue)")
        } catch {
            throw ReferralError(.invalidEvent, reason: "body is not valid JSON")
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.event = try container.decodeIfPresent(String.self, forKey: .event)
        self.token = try container.decodeIfPresent(String.self, forKey: .token)
        self.serverID = try container.decodeIfPresent(String.self, forKey: .serverID)
        self.refereeIdentity = try container.decodeIfPresent(String.self, forKey: .refereeIdentity)
        self.serverEventID = try container.decodeIfPresent(String.self, forKey: .serverEventID)
        self.ts = try Self.decodeTimestamp(container)
        self.test = try container.decodeIfPresent(Bool.self, forKey: .test)
    }

    /// `ts` is a JSON number; integral values are expected, a fractional one is truncated.
    private static func decodeTimestamp(_ container: KeyedDecodingContainer<CodingKeys>) throws -> Int64? {
        if let integer = try? container.decodeIfPresent(Int64.self, forKey: .ts) { return integer }
        guard let double = try container.decodeIfPresent(Double.self, forKey: .ts) else { return nil }
        guard double.isFinite, double >= 0, double < 9.2e18 else {
            throw DecodingError.typeMismatch(
                Int64.self,
                .init(codingPath: [CodingKeys.ts], debugDescription: "ts out of range")
            )
        }
        return Int64(double)
    }

    /// Validates the fields into an event, in the contract's field order.
    ///
    /// - Returns: The validated, trimmed event.
    /// - Throws: ``ReferralError`` `invalidEvent` with the contract's text: `missing field: <name>`
    ///   or `invalid event` (an unknown `event` value).
    public func validated() throws(ReferralError) -> ReferralEvent {
        guard let rawEvent = self.event.map(ReferralEvent.trimmed), !rawEvent.isEmpty else {
            throw ReferralError(.invalidEvent, reason: "missing field: event")
        }
        guard let kind = ReferralEvent.Kind(rawValue: rawEvent) else {
            throw ReferralError(.invalidEvent, reason: "invalid event")
        }
        return try ReferralEvent(
            kind: kind,
            token: self.token ?? "",
            serverID: self.serverID ?? "",
            refereeIdentity: self.refereeIdentity,
            serverEventID: self.serverEventID ?? "",
            ts: self.ts,
            test: self.test ?? false
        )
    }
}
