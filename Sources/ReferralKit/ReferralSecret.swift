/// An MMOLove referral secret with its optional key id; it never prints its value.
///
/// `description`, `debugDescription`, string interpolation, `dump()` and `Mirror`, and
/// `Encodable` all show `<redacted>` (the key id, which is not secret, is shown).
///
/// - Important: The only way to reach the bytes is ``withUnsafeValue(_:)``; keep its use to the
///   MAC computation. The HMAC key schedule derived from them (``HMACKeySchedule``, internal)
///   is hidden the same way.
public struct ReferralSecret: Sendable, Hashable {
    private let bytes: [UInt8]
    /// The key id sent as `kid=` in the signature header, if the secret has one.
    public let keyID: String?
    /// The HMAC key schedule of `bytes`, prepared once (not part of equality: it follows
    /// from the bytes).
    let keySchedule: HMACKeySchedule

    /// Creates a secret from its text value.
    ///
    /// - Parameters:
    ///   - value: The secret as given by MMOLove (UTF-8 bytes are the HMAC key).
    ///   - keyID: The key id for rotated secrets, appended to the header as `kid=`.
    public init(_ value: String, keyID: String? = nil) {
        self.bytes = Array(value.utf8)
        self.keyID = keyID
        self.keySchedule = HMACKeySchedule(key: self.bytes)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.bytes == rhs.bytes && lhs.keyID == rhs.keyID
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.bytes)
        hasher.combine(self.keyID)
    }

    /// Whether the secret is empty (an unusable configuration).
    public var isEmpty: Bool { self.bytes.isEmpty }

    /// Calls `body` with the raw secret bytes.
    ///
    /// - Parameter body: Receives the key bytes; must not store or log them.
    /// - Returns: What `body` returns.
    public func withUnsafeValue<Result>(_ body: ([UInt8]) throws -> Result) rethrows -> Result {
        try body(self.bytes)
    }
}

extension ReferralSecret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        if let keyID = self.keyID { return "ReferralSecret(<redacted>, kid: \(keyID))" }
        return "ReferralSecret(<redacted>)"
    }

    public var debugDescription: String { self.description }

    public var customMirror: Mirror {
        Mirror(self, children: ["value": "<redacted>", "keyID": self.keyID as Any], displayStyle: .struct)
    }
}

extension ReferralSecret: Encodable {
    private enum CodingKeys: String, CodingKey {
        case value
        case keyID = "kid"
    }

    /// Encodes `<redacted>` in place of the value, so a secret can never leak through a config dump.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("<redacted>", forKey: .value)
        try container.encodeIfPresent(self.keyID, forKey: .keyID)
    }
}
