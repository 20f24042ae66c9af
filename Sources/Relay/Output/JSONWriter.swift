/// Writes compact JSON objects field by field, in the order the caller writes them: the outcome
/// contract documents a key order, and `JSONEncoder` either keeps none (Linux) or sorts keys
/// alphabetically (`.sortedKeys`), so a hand writer is the only way to keep the schema's order.
///
/// Strings are escaped per RFC 8259: `"` and `\` get a backslash, control characters below
/// U+0020 use the short escapes or `\u00XX`; everything else is written as UTF-8.
struct JSONWriter {
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []
    /// Whether the next member of the current object needs a leading comma.
    private var needsComma = false

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    /// Opens an object (top level or as the value of the member just named).
    mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Closes the current object.
    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Writes a member name; the value follows.
    mutating func key(_ name: String) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes `name: value` (a string, or `null`).
    mutating func member(_ name: String, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
        needsComma = true
    }

    /// Writes `name: value` (an integer, or `null`).
    mutating func member(_ name: String, _ value: Int64?) {
        key(name)
        if let value { bytes.append(contentsOf: String(value).utf8) } else { null() }
        needsComma = true
    }

    /// Writes `name: value` with the value (milliseconds since the epoch) as an RFC 3339 UTC
    /// string with milliseconds, or `null`.
    mutating func member(_ name: String, timestampMilliseconds value: Int64?) {
        key(name)
        if let value {
            bytes.append(UInt8(ascii: "\""))
            RFC3339.appendMilliseconds(value, to: &bytes)
            bytes.append(UInt8(ascii: "\""))
        } else {
            null()
        }
        needsComma = true
    }

    /// Writes `name: value` (a boolean).
    mutating func member(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    private mutating func null() { bytes.append(contentsOf: "null".utf8) }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        // Ids, tokens and timestamps almost never need escaping: copy them in one go (scanned
        // as a buffer: the UTF-8 view's iterator was 1.2% of the relay's samples).
        let copied = value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
