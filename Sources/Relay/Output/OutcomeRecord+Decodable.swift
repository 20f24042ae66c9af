import Foundation
import ReferralKit

/// Reads an outcome back (tests, and consumers written in Swift), checking what the schema
/// checks: the schema name, the closed sets, the timestamp format and the reward rule.
extension OutcomeRecord: Decodable {
    private enum Field: String, CodingKey {
        case schema, status, event, mmref, reward, error, attempts, source, replay, state, reduced
        case accountID = "account_id"
        case serverID = "server_id"
        case serverEventID = "server_event_id"
        case referralID = "referral_id"
        case httpStatus = "http_status"
        case firstAttemptAt = "first_attempt_at"
        case completedAt = "completed_at"
    }

    private enum SourceField: String, CodingKey {
        case topic, partition, offset, timestamp
    }

    /// Decodes an outcome record value.
    ///
    /// - Throws: `DecodingError.dataCorrupted` when it does not conform to referral-outcome/v1.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Field.self)
        schema = try c.decode(String.self, forKey: .schema)
        guard schema == Self.schemaName else {
            throw DecodingError.dataCorruptedError(forKey: .schema, in: c, debugDescription: "not \(Self.schemaName)")
        }
        status = try c.decode(OutcomeStatus.self, forKey: .status)
        let eventName = try c.decode(String.self, forKey: .event)
        guard let event = ReferralEvent.Kind(rawValue: eventName), event != .reversed else {
            throw DecodingError.dataCorruptedError(
                forKey: .event, in: c, debugDescription: "not registered or qualified")
        }
        self.event = event
        accountID = try c.decode(String.self, forKey: .accountID)
        serverID = try c.decode(String?.self, forKey: .serverID)
        serverEventID = try c.decode(String.self, forKey: .serverEventID)
        mmref = try c.decode(String.self, forKey: .mmref)
        referralID = try c.decodeIfPresent(String.self, forKey: .referralID)
        state = try c.decodeIfPresent(String.self, forKey: .state)
        reward = try c.decode(Bool.self, forKey: .reward)
        guard reward == Self.rewards(event: event, status: status) else {
            throw DecodingError.dataCorruptedError(forKey: .reward, in: c, debugDescription: "breaks the reward rule")
        }
        httpStatus = try c.decode(Int?.self, forKey: .httpStatus)
        error = try c.decode(String?.self, forKey: .error)
        attempts = try c.decode(Int.self, forKey: .attempts)
        firstAttemptAt = try Self.date(c.decode(String?.self, forKey: .firstAttemptAt), .firstAttemptAt, c)
        guard let completedAt = try Self.date(c.decode(String.self, forKey: .completedAt), .completedAt, c) else {
            throw DecodingError.dataCorruptedError(forKey: .completedAt, in: c, debugDescription: "missing")
        }
        self.completedAt = completedAt
        let s = try c.nestedContainer(keyedBy: SourceField.self, forKey: .source)
        let timestamp = try s.decode(String?.self, forKey: .timestamp).map { text in
            guard let instant = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(forKey: .timestamp, in: s, debugDescription: "not RFC 3339")
            }
            return instant.seconds * 1000 + Int64((instant.fraction * 1000).rounded())
        }
        source = RecordSource(
            topic: try s.decode(String.self, forKey: .topic),
            partition: try s.decode(Int32.self, forKey: .partition),
            offset: try s.decode(Int64.self, forKey: .offset),
            timestampMilliseconds: timestamp
        )
        replay = try c.decode(Bool.self, forKey: .replay)
        reduced = try c.decodeIfPresent(Bool.self, forKey: .reduced) ?? false
    }

    private static func date(
        _ text: String?,
        _ key: Field,
        _ container: KeyedDecodingContainer<Field>
    ) throws -> Date? {
        guard let text else { return nil }
        guard let instant = RFC3339.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not RFC 3339")
        }
        return instant.date
    }
}
