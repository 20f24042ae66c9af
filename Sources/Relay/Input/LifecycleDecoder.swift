import Foundation

/// Decodes record values against input contract v1 (`schemas/account-created.v1.json`,
/// `schemas/milestone-reached.v1.json`), accepting exactly what those schemas accept.
///
/// ``StrictJSON`` checks the syntax (RFC 8259, UTF-8), then ``JSONMembers`` picks the contract's
/// members out of the object in one pass and each field's rules check its type and content,
/// throwing a ``LifecycleDecodingError`` naming the field. Unknown fields are never read.
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
        // The contract is strict JSON: no trailing commas, no junk in fields nobody reads.
        guard StrictJSON.isValid(value) else { throw LifecycleDecodingError("value is not valid JSON") }
        let fields: LifecycleFields
        do {
            fields = LifecycleFields(try JSONMembers.read(value, wanted: LifecycleFields.names))
        } catch .notAnObject {
            throw LifecycleDecodingError("value is not a JSON object")
        } catch {
            throw LifecycleDecodingError("value is not valid JSON")
        }
        switch kind {
        case .accountCreated:
            let accountID = try fields.nonBlank("account_id")
            let mmref = try fields.nullableString("mmref")
            let serverID = try fields.optionalString("server_id")
            let createdAt = try fields.optionalDateTime("created_at")
            let event = AccountCreated(
                accountID: accountID, mmref: mmref, serverID: serverID, createdAt: createdAt?.date)
            return Decoded(event: .accountCreated(event), eventTime: createdAt)
        case .milestoneReached:
            let accountID = try fields.nonBlank("account_id")
            let milestone = try fields.nonBlank("milestone")
            let mmref = try fields.nullableString("mmref")
            let serverID = try fields.optionalString("server_id")
            let reachedAt = try fields.optionalDateTime("reached_at")
            let event = MilestoneReached(
                accountID: accountID, milestone: milestone, mmref: mmref, serverID: serverID, reachedAt: reachedAt?.date
            )
            return Decoded(event: .milestoneReached(event), eventTime: reachedAt)
        }
    }

    /// Trims Unicode `White_Space` from both ends: the set ReferralKit trims before sending, and
    /// the set the schemas' `nonBlankString` pattern lists.
    static func trimmed(_ value: String) -> Substring {
        let scalars = value.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, Self.isWhitespace(scalars[start]) { start = scalars.index(after: start) }
        while start < end, Self.isWhitespace(scalars[scalars.index(before: end)]) {
            end = scalars.index(before: end)
        }
        return Substring(scalars[start..<end])
    }

    /// Unicode's `White_Space`, answered for ASCII without the property tables (their lookup
    /// was 6% of the relay's intake samples): U+0009-U+000D and U+0020 are its ASCII members.
    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return scalar.properties.isWhitespace }
        return scalar == " " || (0x09...0x0D).contains(scalar.value)
    }
}

/// Why a record value does not conform to its input contract: a short reason for the dead
/// letter's `__connect.errors.exception.message` header.
struct LifecycleDecodingError: Error, Hashable {
    /// The reason, e.g. `account_id: missing`.
    var reason: String

    init(_ reason: String) { self.reason = reason }

    /// The value shown in a reason: quoted, at most 40 Unicode scalars (160 bytes), so a huge
    /// field never becomes a huge header. Scalars, not characters: one character may hold any
    /// number of combining marks.
    static func excerpt(_ value: String) -> String {
        let scalars = value.unicodeScalars
        guard let end = scalars.index(scalars.startIndex, offsetBy: 40, limitedBy: scalars.endIndex),
            end < scalars.endIndex
        else { return "\"\(value)\"" }
        return "\"\(String(scalars[..<end]))…\""
    }
}

/// The members of input contract v1, with the rules each field follows.
private struct LifecycleFields {
    /// Every name either contract reads.
    static let names: Set<String> = ["account_id", "mmref", "server_id", "created_at", "milestone", "reached_at"]

    let members: JSONMembers

    init(_ members: JSONMembers) { self.members = members }

    /// A required string that is not blank (returned trimmed).
    func nonBlank(_ name: String) throws(LifecycleDecodingError) -> String {
        guard self.members.values[name] != nil else { throw LifecycleDecodingError("\(name): missing") }
        let trimmed = LifecycleDecoder.trimmed(try self.string(name))
        guard !trimmed.isEmpty else { throw LifecycleDecodingError("\(name): empty") }
        return String(trimmed)
    }

    /// A string; `null` is refused with its own reason.
    func string(_ name: String) throws(LifecycleDecodingError) -> String {
        switch self.members.values[name] {
        case .string(let value): return value
        case .null: throw LifecycleDecodingError("\(name): null, expected a string")
        case .invalidString: throw LifecycleDecodingError("value is not valid JSON")
        case .other, nil: throw LifecycleDecodingError("\(name): not a string")
        }
    }

    /// An optional string that may also be `null` (`mmref`).
    func nullableString(_ name: String) throws(LifecycleDecodingError) -> String? {
        guard let value = self.members.values[name], value != .null else { return nil }
        return try self.string(name)
    }

    /// An optional string that must be a string when present (`server_id`).
    func optionalString(_ name: String) throws(LifecycleDecodingError) -> String? {
        guard self.members.values[name] != nil else { return nil }
        return try self.string(name)
    }

    /// An optional RFC 3339 date-time.
    func optionalDateTime(_ name: String) throws(LifecycleDecodingError) -> RFC3339.Instant? {
        guard let text = try self.optionalString(name) else { return nil }
        guard let instant = RFC3339.parse(text) else {
            throw LifecycleDecodingError(
                "\(name): not an RFC 3339 date-time (\(LifecycleDecodingError.excerpt(text)))")
        }
        return instant
    }
}
