/// A strict RFC 8259 syntax check, run before `JSONDecoder` reads a record value.
///
/// Why: Foundation's decoder is lenient where it does not look. It accepts trailing commas
/// (`{"a":1,}`) and only validates the numbers and strings it is asked to decode, so `{"x":01}`
/// or an invalid UTF-8 byte inside an unknown field would pass. The input contract says the
/// value is JSON, and the schema tests (Python's strict parser) refuse those, so the relay must
/// too. One linear pass, no allocation.
///
/// Accepted: exactly RFC 8259 `JSON-text` in UTF-8 (no byte order mark), nesting up to
/// ``maxDepth``. Like Python's parser it allows any `\uXXXX` escape, including an unpaired
/// surrogate (the decoder then refuses one in a field it reads).
enum StrictJSON {
    /// The deepest nesting accepted (Python's parser stops near 1,000 as well).
    static let maxDepth = 512

    /// Whether `bytes` is one JSON text.
    static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var scanner = Scanner(bytes: buffer)
            scanner.skipWhitespace()
            guard scanner.value(depth: 0) else { return false }
            scanner.skipWhitespace()
            return scanner.index == buffer.count
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let b = current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { index += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard current == byte else { return false }
            index += 1
            return true
        }

        mutating func value(depth: Int) -> Bool {
            guard let b = current else { return false }
            switch b {
            case UInt8(ascii: "{"): return object(depth: depth + 1)
            case UInt8(ascii: "["): return array(depth: depth + 1)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        mutating func object(depth: Int) -> Bool {
            guard depth <= StrictJSON.maxDepth else { return false }
            index += 1  // {
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return true }
            while true {
                guard current == UInt8(ascii: "\""), string() else { return false }
                skipWhitespace()
                guard consume(UInt8(ascii: ":")) else { return false }
                skipWhitespace()
                guard value(depth: depth) else { return false }
                skipWhitespace()
                if consume(UInt8(ascii: "}")) { return true }
                guard consume(UInt8(ascii: ",")) else { return false }
                skipWhitespace()
            }
        }

        mutating func array(depth: Int) -> Bool {
            guard depth <= StrictJSON.maxDepth else { return false }
            index += 1  // [
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return true }
            while true {
                guard value(depth: depth) else { return false }
                skipWhitespace()
                if consume(UInt8(ascii: "]")) { return true }
                guard consume(UInt8(ascii: ",")) else { return false }
                skipWhitespace()
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            for i in 0..<count where bytes[index + i] != word.utf8Start[i] { return false }
            index += count
            return true
        }

        mutating func digits() -> Int {
            let start = index
            while let b = current, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { index += 1 }
            return index - start
        }

        mutating func number() -> Bool {
            _ = consume(UInt8(ascii: "-"))
            if consume(UInt8(ascii: "0")) {
                // No leading zeros: "01" is not a number.
            } else {
                guard let b = current, b >= UInt8(ascii: "1"), b <= UInt8(ascii: "9") else { return false }
                _ = digits()
            }
            if consume(UInt8(ascii: ".")) {
                guard digits() > 0 else { return false }
            }
            if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
                if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
                guard digits() > 0 else { return false }
            }
            return true
        }

        mutating func string() -> Bool {
            index += 1  // opening quote
            while let b = current {
                switch b {
                case UInt8(ascii: "\""):
                    index += 1
                    return true
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let e = current else { return false }
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        guard bytes.count - index >= 4 else { return false }
                        for _ in 0..<4 {
                            guard Self.isHex(bytes[index]) else { return false }
                            index += 1
                        }
                    default:
                        return false
                    }
                case 0x00..<0x20:
                    return false  // control characters must be escaped
                case 0x20..<0x80:
                    index += 1
                default:
                    guard utf8Sequence() else { return false }
                }
            }
            return false
        }

        /// One well-formed multi-byte UTF-8 sequence (Unicode 15, table 3-7): no overlong
        /// forms, no surrogates, nothing above U+10FFFF.
        mutating func utf8Sequence() -> Bool {
            let lead = bytes[index]
            let count: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: count = 1
            case 0xE0: count = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: count = 2
            case 0xED: count = 2; high = 0x9F
            case 0xF0: count = 3; low = 0x90
            case 0xF1...0xF3: count = 3
            case 0xF4: count = 3; high = 0x8F
            default: return false
            }
            guard bytes.count - index > count else { return false }
            for i in 1...count {
                let b = bytes[index + i]
                let (lo, hi) = i == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
                guard b >= lo, b <= hi else { return false }
            }
            index += count + 1
            return true
        }

        static func isHex(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "f"))
        }
    }
}
