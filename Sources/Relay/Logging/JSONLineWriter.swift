import Logging

/// Builds one JSON object as UTF-8 bytes, escaping strings per RFC 8259.
///
/// Hand-written rather than `JSONSerialization`: it keeps field order (the fixed fields first, for
/// people reading raw lines), writes nested metadata without converting it to Foundation types,
/// and costs one buffer per line.
struct JSONLineWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the current object or array needs a comma before its next element.
    private var needsComma = false

    init() {
        self.bytes.reserveCapacity(256)
    }

    mutating func beginObject() {
        self.bytes.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    mutating func newline() {
        self.bytes.append(UInt8(ascii: "\n"))
    }

    /// Writes `"key":`, preceded by a comma when needed.
    mutating func key(_ key: String) {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
        self.string(key)
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    mutating func field(_ key: String, string value: String) {
        self.key(key)
        self.string(value)
        self.needsComma = true
    }

    /// Writes a metadata value: strings as strings, dictionaries as objects (keys sorted), arrays
    /// as arrays.
    mutating func value(_ value: Logger.MetadataValue) {
        switch value {
        case .string(let text):
            self.string(text)
        case .stringConvertible(let convertible):
            self.string(convertible.description)
        case .dictionary(let metadata):
            self.beginObject()
            for key in metadata.keys.sorted() {
                self.key(key)
                self.value(metadata[key]!)
            }
            self.endObject()
            return
        case .array(let values):
            self.bytes.append(UInt8(ascii: "["))
            self.needsComma = false
            for element in values {
                if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
                self.value(element)
                self.needsComma = true
            }
            self.bytes.append(UInt8(ascii: "]"))
        }
        self.needsComma = true
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Writes a quoted, escaped string: `"` and `\` escaped, control characters as `\n`, `\t`, …
    /// or `\u00XX`, U+2028/U+2029 as `\u2028`/`\u2029` (valid JSON, but they end lines in
    /// JavaScript-based tools); everything else as UTF-8.
    mutating func string(_ text: String) {
        self.bytes.append(UInt8(ascii: "\""))
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20, 0x7F:
                self.bytes.append(contentsOf: Array("\\u00".utf8))
                self.bytes.append(Self.hexDigits[Int(byte >> 4)])
                self.bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            case 0xE2:
                // U+2028 and U+2029 are E2 80 A8 / E2 80 A9; anything else starting with E2 is copied.
                guard let second = utf8.next() else {
                    self.bytes.append(byte)
                    break
                }
                guard let third = utf8.next() else {
                    self.bytes.append(contentsOf: [byte, second])
                    break
                }
                if second == 0x80 && (third == 0xA8 || third == 0xA9) {
                    self.bytes.append(contentsOf: Array(third == 0xA8 ? "\\u2028".utf8 : "\\u2029".utf8))
                } else {
                    self.bytes.append(contentsOf: [byte, second, third])
                }
            default:
                self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }
}
