/// The members of a top-level JSON object that the input contract reads, found in one pass
/// over a value ``StrictJSON`` has already validated (so the walk never meets bad syntax).
///
/// Why not `JSONDecoder`: profiling the relay on a backlog of records to skip showed decoding
/// through Foundation's `JSONDecoder` at about a third of all CPU time on the intake path (it
/// builds a map of the whole value, boxes every key, and goes through `Decodable` witness
/// tables); reading six known members directly costs a fraction of that. The contract's rules
/// (first of duplicated names wins, keys and strings unescaped, an unpaired surrogate in a
/// member read refused) are those the `JSONDecoder` path had; the schema examples check both.
struct JSONMembers {
    /// One member's value, as far as the contract cares.
    enum Value: Equatable {
        /// A string, unescaped.
        case string(String)
        /// `null`.
        case null
        /// A number, boolean, object or array.
        case other
        /// A string whose escapes do not form valid Unicode (an unpaired surrogate).
        case invalidString
    }

    /// Why a value has no members to read.
    enum Failure: Error, Equatable {
        /// The value is not an object.
        case notAnObject
        /// A member name is not valid Unicode.
        case invalidName
    }

    /// The values of the wanted names that are present, first occurrence of each.
    private(set) var values: [String: Value] = [:]

    /// Reads the members named in `wanted` of the object `bytes` holds.
    ///
    /// - Important: `bytes` must be valid JSON (``StrictJSON/isValid(_:)``).
    static func read(_ bytes: [UInt8], wanted: Set<String>) throws(Failure) -> JSONMembers {
        var members = JSONMembers()
        try bytes.withUnsafeBufferPointer { (buffer) throws(Failure) in
            var walker = Walker(bytes: buffer)
            walker.skipWhitespace()
            guard walker.current == UInt8(ascii: "{") else { throw .notAnObject }
            walker.index += 1
            while true {
                walker.skipWhitespace()
                if walker.current == UInt8(ascii: "}") { return }
                if walker.current == UInt8(ascii: ",") {
                    walker.index += 1
                    walker.skipWhitespace()
                }
                let nameRange = walker.skipString()
                guard let name = Walker.unescape(buffer, nameRange) else { throw .invalidName }
                walker.skipWhitespace()
                walker.index += 1  // :
                walker.skipWhitespace()
                let keep = wanted.contains(name) && members.values[name] == nil
                switch walker.current {
                case UInt8(ascii: "\""):
                    let range = walker.skipString()
                    if keep {
                        members.values[name] = Walker.unescape(buffer, range).map(Value.string) ?? .invalidString
                    }
                case UInt8(ascii: "n"):
                    walker.index += 4
                    if keep { members.values[name] = .null }
                default:
                    walker.skipValue()
                    if keep { members.values[name] = .other }
                }
            }
        }
        return members
    }

    /// A cursor over validated JSON.
    private struct Walker {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var current: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

        mutating func skipWhitespace() {
            while let b = self.current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { self.index += 1 }
        }

        /// Skips a string at the cursor; returns the range between its quotes.
        mutating func skipString() -> Range<Int> {
            self.index += 1
            let start = self.index
            while let b = self.current, b != UInt8(ascii: "\"") {
                self.index += b == UInt8(ascii: "\\") ? 2 : 1
            }
            defer { self.index += 1 }
            return start..<self.index
        }

        /// Skips any value at the cursor (nested objects and arrays included).
        mutating func skipValue() {
            var depth = 0
            repeat {
                guard let b = self.current else { return }
                switch b {
                case UInt8(ascii: "\""):
                    _ = self.skipString()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return }  // the end of the enclosing object
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 0 { return }
                default: break
                }
                self.index += 1
            } while depth > 0 || !Self.endsScalar(self.current)
        }

        /// Whether `byte` ends a number or literal.
        static func endsScalar(_ byte: UInt8?) -> Bool {
            guard let byte else { return true }
            return byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
                || byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }

        /// The string between quotes at `range`, unescaped; `nil` for an unpaired surrogate.
        static func unescape(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
            let raw = UnsafeBufferPointer(rebasing: bytes[range])
            guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
            var scalars = String.UnicodeScalarView()
            var utf8: [UInt8] = []
            var i = raw.startIndex
            func flush() {
                if !utf8.isEmpty {
                    scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                    utf8.removeAll(keepingCapacity: true)
                }
            }
            while i < raw.endIndex {
                let b = raw[i]
                guard b == UInt8(ascii: "\\") else {
                    utf8.append(b)
                    i += 1
                    continue
                }
                flush()
                let e = raw[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let unit = Self.hex(raw, i)
                    i += 4
                    if (0xD800..<0xDC00).contains(unit) {
                        // A high surrogate must be followed by an escaped low one.
                        guard i + 6 <= raw.endIndex, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u")
                        else { return nil }
                        let low = Self.hex(raw, i + 2)
                        guard (0xDC00..<0xE000).contains(low) else { return nil }
                        i += 6
                        let value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        guard let scalar = Unicode.Scalar(value) else { return nil }
                        scalars.append(scalar)
                    } else {
                        guard let scalar = Unicode.Scalar(unit) else { return nil }  // a lone low surrogate
                        scalars.append(scalar)
                    }
                default: scalars.append(Unicode.Scalar(e))  // " \ /
                }
            }
            flush()
            return String(scalars)
        }

        static func hex(_ raw: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for b in raw[at..<at + 4] {
                let digit: UInt8 =
                    b <= UInt8(ascii: "9") ? b - UInt8(ascii: "0") : (b | 0x20) - UInt8(ascii: "a") + 10
                value = value << 4 | UInt32(digit)
            }
            return value
        }
    }
}
