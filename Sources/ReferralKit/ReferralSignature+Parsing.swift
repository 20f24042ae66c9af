extension ReferralSignature {
    /// Parses an `X-MMOLove-Signature` value.
    ///
    /// Tolerant of field order and surrounding spaces; strict on content: `t` must be a positive
    /// integer in canonical form (no sign, no leading zero: the MAC covers `"<t>."` as written),
    /// `v1` must carry the `sha256=` prefix and exactly 64 lowercase hex digits (the contract's
    /// `lowercase_hex`; a verifier comparing hex strings rejects uppercase), `kid` (optional) must
    /// be non-empty, and no field may repeat.
    ///
    /// - Parameter headerValue: The header value as received.
    /// - Throws: ``ReferralError`` with code `invalidSignatureHeader`.
    public init(parsing headerValue: String) throws(ReferralError) {
        var timestamp: Int64?
        var mac: [UInt8]?
        var keyID: String?
        for rawField in headerValue.split(separator: ",", omittingEmptySubsequences: false) {
            let field = rawField.trimmingASCIISpaces()
            guard let equals = field.firstIndex(of: "=") else {
                throw Self.malformed("field without '='")
            }
            let name = field[..<equals]
            let value = field[field.index(after: equals)...]
            switch name {
            case "t":
                guard timestamp == nil else { throw Self.malformed("repeated t") }
                guard value.allSatisfy(\.isASCIIDigit), value.first != "0", let parsed = Int64(value), parsed > 0 else {
                    throw Self.malformed("t is not a positive integer")
                }
                timestamp = parsed
            case "v1":
                guard mac == nil else { throw Self.malformed("repeated v1") }
                guard value.hasPrefix("sha256=") else { throw Self.malformed("v1 lacks the sha256= prefix") }
                guard let bytes = Self.unhex(value.dropFirst("sha256=".count)), bytes.count == 32 else {
                    throw Self.malformed("v1 is not 64 lowercase hex digits")
                }
                mac = bytes
            case "kid":
                guard keyID == nil else { throw Self.malformed("repeated kid") }
                guard !value.isEmpty else { throw Self.malformed("empty kid") }
                keyID = String(value)
            default:
                // Unknown fields are tolerated so a future `v2=` does not break verification.
                continue
            }
        }
        guard let timestamp else { throw Self.malformed("missing t") }
        guard let mac else { throw Self.malformed("missing v1") }
        self.init(timestamp: timestamp, mac: mac, keyID: keyID)
    }

    private static func malformed(_ detail: String) -> ReferralError {
        ReferralError(.invalidSignatureHeader, reason: "malformed X-MMOLove-Signature: \(detail)")
    }

    private static func unhex(_ text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

extension Substring {
    fileprivate func trimmingASCIISpaces() -> Substring {
        var result = self
        while result.first == " " { result.removeFirst() }
        while result.last == " " { result.removeLast() }
        return result
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}
