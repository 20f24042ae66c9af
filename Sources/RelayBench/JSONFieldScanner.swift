/// Reads one top-level string field out of compact JSON without parsing it: enough for bodies
/// and records this program knows the shape of (no escapes in the values it looks for), and
/// cheap enough to run per request or per record while a measurement is going on.
enum JSONFieldScanner {
    /// The value of `"name":"value"` in `bytes`, or `nil` when absent or not a plain string.
    static func string(_ name: String, in bytes: [UInt8]) -> String? {
        let pattern = Array("\"\(name)\":\"".utf8)
        guard pattern.count <= bytes.count else { return nil }
        var index = 0
        let last = bytes.count - pattern.count
        while index <= last {
            if bytes[index] == pattern[0] && bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
                let start = index + pattern.count
                guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return String(decoding: bytes[start..<end], as: UTF8.self)
            }
            index += 1
        }
        return nil
    }
}
