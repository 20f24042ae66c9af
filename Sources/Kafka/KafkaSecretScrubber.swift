/// Replaces configured secrets in text by `[REDACTED]`: what librdkafka writes (log lines, error
/// strings) before it reaches a logger or a ``KafkaError``, and, in the relay, every log line.
///
/// Which properties carry secrets: those whose name contains one of ``secretNameFragments``
/// (`sasl.password`, `ssl.key.password`, `ssl.keystore.password`, `ssl.key.pem`,
/// `sasl.oauthbearer.config`, `sasl.oauthbearer.client.secret`, `sasl.jaas.config`, …). Their
/// value is scrubbed, and so is each piece of it (``secretPieces(of:)``), because librdkafka
/// quotes *part* of a malformed value: `Unrecognized sasl.oauthbearer.config beginning at:
/// bogus=<the secret>`.
///
/// The length rule, for every secret value and piece (counted in UTF-8 bytes):
/// - at least ``minimumLength`` (4) bytes: replaced wherever it occurs. Below that a substring
///   match would hit ordinary words and numbers in most lines (`pw1` inside `upw12`), and no
///   credential that short protects anything anyway.
/// - 2 or 3 bytes: replaced only where it stands as a whole token, not touching a letter, a digit
///   or `_` (so `bogus=pw1` becomes `bogus=[REDACTED]` while `pw12` stays).
/// - 1 byte: never. A one-character secret would replace every standalone digit or letter of
///   every line (`partition 3`); ``unscrubbableProperties(in:)`` names such properties so the
///   caller can warn at start-up (naming the property, not the value).
///
/// Matching is on UTF-8 bytes, longest needle first at each position, so a secret containing
/// another is replaced whole and a secret followed by a combining mark is still found.
public struct KafkaSecretScrubber: Sendable {
    /// What a scrubbed secret is replaced by.
    public static let replacement = "[REDACTED]"
    /// Secrets and pieces at least this long (UTF-8 bytes) are replaced wherever they occur.
    public static let minimumLength = 4
    /// Secrets and pieces this long up to ``minimumLength`` - 1 are replaced as whole tokens only.
    public static let minimumTokenLength = 2
    /// Lower-cased fragments of property names whose values carry secrets.
    public static let secretNameFragments = [
        "password", "passwd", "secret", "token", "credential", "key", "jaas", "sasl.oauthbearer", "private",
    ]

    /// One byte string to replace.
    struct Needle: Sendable, Hashable {
        var bytes: [UInt8]
        /// Replaced only where it is not adjacent to a word character.
        var wholeTokenOnly: Bool
    }

    /// Longest first, so a secret containing another is replaced whole.
    let needles: [Needle]

    /// A scrubber that replaces nothing.
    public init() {
        self.needles = []
    }

    /// Creates a scrubber for the secret-bearing properties among `properties`.
    ///
    /// - Parameter properties: librdkafka properties as (name, value) pairs.
    public init(properties: some Sequence<(String, String)>) {
        var secrets: [[UInt8]] = []
        for (name, value) in properties where Self.isSecretBearing(name) {
            secrets += Self.secretPieces(of: value).map { Array($0.utf8) }
        }
        self.init(secrets: secrets)
    }

    /// Creates a scrubber from raw values.
    ///
    /// - Parameters:
    ///   - secrets: Secret byte strings, under the length rule (whole tokens from 2 bytes,
    ///     anywhere from ``minimumLength``).
    ///   - values: Other sensitive values, replaced anywhere from ``minimumLength`` bytes and never
    ///     when shorter (a value such as `all` or `1` is too common to hide), nor when it is a
    ///     number or a boolean (``isPlainSetting(_:)``).
    public init(secrets: some Sequence<[UInt8]>, values: some Sequence<[UInt8]> = [[UInt8]]()) {
        var needles = Set<Needle>()
        for secret in secrets where secret.count >= Self.minimumTokenLength {
            needles.insert(Needle(bytes: secret, wholeTokenOnly: secret.count < Self.minimumLength))
        }
        for value in values where value.count >= Self.minimumLength && !Self.isPlainSetting(value) {
            needles.insert(Needle(bytes: value, wholeTokenOnly: false))
        }
        self.needles = needles.sorted { $0.bytes.count > $1.bytes.count }
    }

    /// Whether `value` is a number (`6000`, `-1`, `0.5`) or a boolean (`true`, `FALSE`): no
    /// credential, and replaced wherever it occurs it hid every offset, count and trace id that
    /// happened to contain it (`session.timeout.ms=6000` took four characters out of a trace id
    /// in a log line). Secret-bearing properties are replaced whatever their value.
    static func isPlainSetting(_ value: [UInt8]) -> Bool {
        let lowered = value.map { $0 | 0x20 }
        if lowered == Array("true".utf8) || lowered == Array("false".utf8) { return true }
        let digits = value.drop { $0 == UInt8(ascii: "-") }
        return !digits.isEmpty && digits.filter { $0 == UInt8(ascii: ".") }.count <= 1
            && digits.allSatisfy { $0 == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            && digits.contains { $0 != UInt8(ascii: ".") }
    }

    /// Whether there is nothing to replace.
    public var isEmpty: Bool { self.needles.isEmpty }

    /// Whether a property's value carries a secret, judged by its name (case-insensitive).
    public static func isSecretBearing(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return Self.secretNameFragments.contains { lowered.contains($0) }
    }

    /// The secret-bearing properties among `properties` whose value is a single byte: the
    /// length rule cannot scrub them.
    public static func unscrubbableProperties(in properties: some Sequence<(String, String)>) -> [String] {
        properties.filter { isSecretBearing($0.0) && $0.1.utf8.count < minimumTokenLength && !$0.1.isEmpty }
            .map(\.0).sorted()
    }

    /// A secret value and the pieces of it a message may quote alone: the value; each piece
    /// separated by whitespace or `&`, without surrounding quotes and a trailing `;` or `,`; the
    /// part after the first `=` of each `key=value` piece; and the content of every quoted span
    /// (`password="a b"` quotes `a b`). Keys themselves are not pieces: they are not secret.
    ///
    /// - Parameter value: A secret-bearing property value (or a URL's query).
    /// - Returns: The value and its pieces, possibly with duplicates.
    public static func secretPieces(of value: String) -> [String] {
        var pieces = [value]
        for raw in value.split(whereSeparator: { $0.isWhitespace || $0 == "&" }) {
            let piece = Self.unwrapped(raw)
            pieces.append(piece)
            if let equals = piece.firstIndex(of: "=") {
                pieces.append(Self.unwrapped(piece[piece.index(after: equals)...]))
            }
        }
        var rest = value[...]
        while let open = rest.firstIndex(where: { $0 == "\"" || $0 == "'" }) {
            let body = rest[rest.index(after: open)...]
            guard let close = body.firstIndex(of: rest[open]) else { break }
            pieces.append(String(body[..<close]))
            rest = body[body.index(after: close)...]
        }
        return pieces
    }

    /// `piece` without a trailing `;` or `,` and without surrounding quotes.
    private static func unwrapped(_ piece: Substring) -> String {
        var piece = piece
        while let last = piece.last, last == ";" || last == "," { piece = piece.dropLast() }
        if piece.count >= 2, let first = piece.first, first == "\"" || first == "'", piece.last == first {
            piece = piece.dropFirst().dropLast()
        }
        return String(piece)
    }

    /// `text` with every secret occurrence replaced.
    public func scrub(_ text: String) -> String {
        guard !self.needles.isEmpty else { return text }
        var text = text
        return text.withUTF8 { bytes in
            guard let first = self.firstMatch(in: bytes, from: 0) else { return nil }
            return String(decoding: self.replacingMatches(in: bytes, from: first), as: UTF8.self)
        } ?? text
    }

    /// The position and length of the first (longest at that position) needle at or after `start`.
    private func firstMatch(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int, Int)? {
        var index = start
        while index < bytes.count {
            if let length = self.matchLength(in: bytes, at: index) { return (index, length) }
            index += 1
        }
        return nil
    }

    /// The length of the longest needle that starts at `index`, if any.
    private func matchLength(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        for needle in self.needles where needle.bytes.count <= bytes.count - index {
            var matches = true
            for offset in 0..<needle.bytes.count where bytes[index + offset] != needle.bytes[offset] {
                matches = false
                break
            }
            guard matches else { continue }
            if needle.wholeTokenOnly {
                let end = index + needle.bytes.count
                if index > 0 && Self.isWordByte(bytes[index - 1]) { continue }
                if end < bytes.count && Self.isWordByte(bytes[end]) { continue }
            }
            return needle.bytes.count
        }
        return nil
    }

    /// Letters, digits, `_` and any non-ASCII byte (part of a letter in another script).
    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), 0x80...:
            true
        default:
            false
        }
    }

    private func replacingMatches(in bytes: UnsafeBufferPointer<UInt8>, from first: (Int, Int)) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var copied = 0
        var match: (Int, Int)? = first
        while let (position, length) = match {
            output.append(contentsOf: bytes[copied..<position])
            output.append(contentsOf: Self.replacement.utf8)
            copied = position + length
            match = self.firstMatch(in: bytes, from: copied)
        }
        output.append(contentsOf: bytes[copied...])
        return output
    }
}
