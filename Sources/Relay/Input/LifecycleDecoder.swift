import Foundation

/// Decodes record values against input contract v1 (`schemas/account-created.v1.json`,
/// `schemas/milestone-reached.v1.json`), accepting exactly what those schemas accept.
///
/// ``StrictJSON`` checks the syntax (RFC 8259, UTF-8), then `JSONDecoder` reads it; hand-written
/// `init(from:)` implementations check each field's type and content and throw a
/// ``LifecycleDecodingError`` naming the field. Unknown fields are never read.
///
/// Known edges outside the schemas' reach: a duplicated member name keeps its first value (RFC
/// 8259 says names should be unique; Python's parser keeps the last), and an unpaired UTF-16
/// surrogate escape is refused as invalid JSON.
enum LifecycleDecoder {
    /// Which input contract a value is decoded against.
    enum Kind: Sendable {
        /// `account-created` v1.
        case accountCreated
        /// `milestone-reached` v1.
        case milestoneReached
    }

    /// A decoded value: the event, and its own time exactly as written (whole seconds are kept
    /// as integers, since a `Date` near 2026 cannot hold sub-microsecond fractions).
    struct Decoded: Sendable {
        /// The event.
        var event: LifecycleEvent
        /// `created_at` / `reached_at`, when present.
        var eventTime: RFC3339.Instant?
    }

    /// Decodes `value` as `kind`.
    ///
    /// - Throws: ``LifecycleDecodingError`` with a short reason.
    static func decode(_ value: [UInt8], as kind: Kind) throws(LifecycleDecodingError) -> Decoded {
        guard !value.isEmpty else { throw LifecycleDecodingError("value is empty") }
        // JSONDecoder is lenient where it does not look (trailing commas, numbers and strings
        // of unknown fields, a byte order mark); the contract is strict JSON.
        guard StrictJSON.isValid(value) else { throw LifecycleDecodingError("value is not valid JSON") }
        let data = Data(value)
        do {
            switch kind {
            case .accountCreated:
                let decoded = try JSONDecoder().decode(AccountCreatedV1.self, from: data)
                return Decoded(event: .accountCreated(decoded.event), eventTime: decoded.createdAt)
            case .milestoneReached:
                let decoded = try JSONDecoder().decode(MilestoneReachedV1.self, from: data)
                return Decoded(event: .milestoneReached(decoded.event), eventTime: decoded.reachedAt)
            }
        } catch let error as LifecycleDecodingError {
            throw error
        } catch {
            throw LifecycleDecodingError(describing: error)
        }
    }

    /// Trims Unicode `White_Space` from both ends: the set ReferralKit trims before sending, and
    /// the set the schemas' `nonBlankString` pattern lists.
    static func trimmed(_ value: String) -> Substring {
        let scalars = value.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while start < end, scalars[scalars.index(before: end)].properties.isWhitespace {
            end = scalars.index(before: end)
        }
        return Substring(scalars[start..<end])
    }
}

/// Why a record value does not conform to its input contract: a short reason for the dead
/// letter's `__connect.errors.exception.message` header.
struct LifecycleDecodingError: Error, Hashable {
    /// The reason, e.g. `account_id: missing`.
    var reason: String

    init(_ reason: String) { self.reason = reason }

    /// Maps the parser's errors: a type mismatch names its field, everything else is "not JSON".
    init(describing error: any Error) {
        switch error {
        case DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty:
            self.init("value is not a JSON object")
        case DecodingError.typeMismatch(_, let context):
            self.init("\(context.codingPath.map(\.stringValue).joined(separator: ".")): wrong type")
        default:
            self.init("value is not valid JSON")
        }
    }

    /// The value shown in a reason: quoted, at most 40 characters, so a huge field never
    /// becomes a huge header.
    static func excerpt(_ value: String) -> String {
        let limit = 40
        guard value.count > limit else { return "\"\(value)\"" }
        return "\"\(value.prefix(limit))…\""
    }
}

/// The field names of input contract v1.
private enum LifecycleField: String, CodingKey {
    case accountID = "account_id"
    case mmref
    case serverID = "server_id"
    case createdAt = "created_at"
    case milestone
    case reachedAt = "reached_at"
}

extension KeyedDecodingContainer where Key == LifecycleField {
    /// A required string that is not blank (returned trimmed).
    fileprivate func nonBlank(_ key: Key) throws -> String {
        guard contains(key) else { throw LifecycleDecodingError("\(key.stringValue): missing") }
        let value = try string(key)
        let trimmed = LifecycleDecoder.trimmed(value)
        guard !trimmed.isEmpty else { throw LifecycleDecodingError("\(key.stringValue): empty") }
        return String(trimmed)
    }

    /// A string; `null` is refused with its own reason.
    fileprivate func string(_ key: Key) throws -> String {
        if try decodeNil(forKey: key) { throw LifecycleDecodingError("\(key.stringValue): null, expected a string") }
        do {
            return try decode(String.self, forKey: key)
        } catch DecodingError.typeMismatch {
            throw LifecycleDecodingError("\(key.stringValue): not a string")
        }
    }

    /// An optional string that may also be `null` (`mmref`).
    fileprivate func nullableString(_ key: Key) throws -> String? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try string(key)
    }

    /// An optional string that must be a string when present (`server_id`).
    fileprivate func optionalString(_ key: Key) throws -> String? {
        guard contains(key) else { return nil }
        return try string(key)
    }

    /// An optional RFC 3339 date-time.
    fileprivate func optionalDateTime(_ key: Key) throws -> RFC3339.Instant? {
        guard let text = try optionalString(key) else { return nil }
        guard let instant = RFC3339.parse(text) else {
            throw LifecycleDecodingError(
                "\(key.stringValue): not an RFC 3339 date-time (\(LifecycleDecodingError.excerpt(text)))"
            )
        }
        return instant
    }
}

/// `account-created` v1 as decoded from JSON.
private struct AccountCreatedV1: Decodable {
    var event: AccountCreated
    var createdAt: RFC3339.Instant?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: LifecycleField.self)
        let accountID = try c.nonBlank(.accountID)
        let mmref = try c.nullableString(.mmref)
        let serverID = try c.optionalString(.serverID)
        createdAt = try c.optionalDateTime(.createdAt)
        event = AccountCreated(accountID: accountID, mmref: mmref, serverID: serverID, createdAt: createdAt?.date)
    }
}

/// `milestone-reached` v1 as decoded from JSON.
private struct MilestoneReachedV1: Decodable {
    var event: MilestoneReached
    var reachedAt: RFC3339.Instant?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: LifecycleField.self)
        let accountID = try c.nonBlank(.accountID)
        let milestone = try c.nonBlank(.milestone)
        let mmref = try c.nullableString(.mmref)
        let serverID = try c.optionalString(.serverID)
        reachedAt = try c.optionalDateTime(.reachedAt)
        event = MilestoneReached(
            accountID: accountID,
            milestone: milestone,
            mmref: mmref,
            serverID: serverID,
            reachedAt: reachedAt?.date
        )
    }
}
