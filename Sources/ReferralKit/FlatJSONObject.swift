/// Reads a JSON object whose members are all strings without escapes, `true`, `false` or
/// `null`, each name once: the shape of every MMOLove answer. Anything else (a number, a nested
/// value, an escape, a repeated name, invalid UTF-8, any syntax error) is `nil`, for a general
/// decoder to read: so where this answers, it answers as `JSONDecoder` does.
enum FlatJSONObject {
    /// A member's value.
    enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case null
    }

    /// At most this many members, far more than MMOLove sends (three); more are left to the
    /// general decoder, so that the check for repeated names stays cheap whatever a proxy
    /// answers.
    static let memberLimit = 16

    /// The members of `bytes` in order, or `nil` when it is not such an object.
    static func members(_ bytes: [UInt8]) -> [(name: String, value: Value)]? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer)
            return reader.object()
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        mutating func object() -> [(name: String, value: Value)]? {
            skipWhitespace()
            guard take(UInt8(ascii: "{")) else { return nil }
            var members: [(name: String, value: Value)] = []
            // One allocation for a usual answer (three or four members), not one per doubling.
            members.reserveCapacity(8)
            skipWhitespace()
            if !take(UInt8(ascii: "}")) {
                repeat {
                    skipWhitespace()
                    guard members.count < FlatJSONObject.memberLimit, let name = string(),
                        !members.contains(where: { $0.name == name })
                    else { return nil }
                    skipWhitespace()
                    guard take(UInt8(ascii: ":")) else { return nil }
                    skipWhitespace()
                    guard let value = value() else { return nil }
                    members.append((name, value))
                    skipWhitespace()
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "}")) else { return nil }
            }
            skipWhitespace()
            return index == bytes.count ? members : nil
        }

        /// Chosen by the first byte: a string that fails (an escape, invalid UTF-8) is the end,
        /// never a literal tried on the bytes after it.
        mutating func value() -> Value? {
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "\"") { return string().map(Value.string) }
            if literal("true") { return .bool(true) }
            if literal("false") { return .bool(false) }
            if literal("null") { return .null }
            return nil
        }

        /// A string without escapes or control characters, valid UTF-8.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            var ascii = true
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    // ASCII needs no validation: `String(decoding:)` of a contiguous buffer is
                    // specialised where `String(validating:)` is a generic call with the
                    // runtime's metadata lookups (2 in 1,000 of the relay's samples).
                    let text = ascii ? String(decoding: slice, as: UTF8.self) : String(validating: slice, as: UTF8.self)
                    index += 1
                    return text
                }
                ascii = ascii && byte < 0x80
                // An escape (left to the general decoder) or a control character (invalid).
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            // `truex` is not `true`: the next byte must end the value.
            if index + count < bytes.count {
                let next = bytes[index + count]
                guard next == UInt8(ascii: ",") || next == UInt8(ascii: "}") || Self.isWhitespace(next) else {
                    return false
                }
            }
            index += count
            return true
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func skipWhitespace() {
            while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
        }

        static func isWhitespace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }
    }
}
