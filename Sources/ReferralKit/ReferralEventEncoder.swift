/// The canonical encoder: compact JSON in the contract's key order, written by hand so the bytes
/// are stable across platforms and Foundation versions.
///
/// Key order: `event, token, server_id, referee_identity, server_event_id, ts, test`; absent
/// optionals are omitted and `test` appears only when `true`. Strings escape `"`, `\` and
/// control characters (`\n \t \r \b \f`, other < 0x20 as `\u00XX`); `/` and non-ASCII are
/// written as-is (raw UTF-8), as MMOLove's documented examples are.
public enum ReferralEventEncoder {
    /// Lower-case hex digits for `\u00XX` escapes, built once rather than per escaped byte.
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Encodes an event to its canonical body bytes.
    ///
    /// - Parameter event: A validated event.
    /// - Returns: The body bytes, to be signed and sent unchanged.
    public static func encode(_ event: ReferralEvent) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        out.append(UInt8(ascii: "{"))
        Self.appendMember("event", event.kind.rawValue, to: &out, first: true)
        Self.appendMember("token", event.token, to: &out)
        Self.appendMember("server_id", event.serverID, to: &out)
        if let identity = event.refereeIdentity {
            Self.appendMember("referee_identity", identity, to: &out)
        }
        Self.appendMember("server_event_id", event.serverEventID, to: &out)
        if let ts = event.ts {
            Self.appendKey("ts", to: &out)
            out.append(contentsOf: String(ts).utf8)
        }
        if event.test {
            Self.appendKey("test", to: &out)
            out.append(contentsOf: "true".utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func appendMember(_ key: String, _ value: String, to out: inout [UInt8], first: Bool = false) {
        Self.appendKey(key, to: &out, first: first)
        Self.appendString(value, to: &out)
    }

    private static func appendKey(_ key: String, to out: inout [UInt8], first: Bool = false) {
        if !first { out.append(UInt8(ascii: ",")) }
        Self.appendString(key, to: &out)
        out.append(UInt8(ascii: ":"))
    }

    /// Appends a JSON string literal with the escaping described on the type.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0x0F)])
            default:
                // Multi-byte UTF-8 sequences pass through byte by byte: raw UTF-8 is what MMOLove's
                // examples send, and the MAC is over these exact bytes.
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
