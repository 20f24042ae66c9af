import Logging
import ReferralKit

/// Replaces secrets in log output by `[REDACTED]`: every occurrence of a configured secret value
/// in a message, a metadata value (nested ones included) or an error description, and the whole
/// value of any metadata key that names a secret.
///
/// Matching is on UTF-8 bytes, not characters, so a secret followed by a combining mark (which
/// would merge into another grapheme) is still found.
public struct LogRedactor: Sendable {
    /// What a redacted secret is replaced by.
    public static let replacement = "[REDACTED]"

    /// Fragments of metadata key names whose values are always redacted, matched case-insensitively.
    public static let secretKeyFragments = ["secret", "password", "passwd", "credential", "authorization", "signature"]

    /// Values of librdkafka properties shorter than this are not redacted: nothing that short is a
    /// credential, and redacting `all` or `1` everywhere would make logs unreadable.
    public static let minimumPropertyValueLength = 4

    /// The byte strings to replace, longest first so a secret containing another is replaced whole.
    private let needles: [[UInt8]]

    /// A redactor with nothing to replace except values under secret-looking keys.
    public init() {
        self.needles = []
    }

    /// Creates a redactor.
    ///
    /// - Parameters:
    ///   - secrets: MMOLove secrets; every non-empty one is redacted.
    ///   - values: Other sensitive values (librdkafka property values, which may hide passwords
    ///     under names such as `sasl.jaas.config`); those of at least
    ///     ``minimumPropertyValueLength`` characters are redacted.
    public init(secrets: [ReferralSecret], values: [String] = []) {
        var needles = Set<[UInt8]>()
        for secret in secrets {
            secret.withUnsafeValue { bytes in
                if !bytes.isEmpty { needles.insert(bytes) }
            }
        }
        for value in values {
            for needle in [value] + Self.embeddedPasswords(in: value)
            where needle.count >= Self.minimumPropertyValueLength {
                needles.insert(Array(needle.utf8))
            }
        }
        self.needles = needles.sorted { $0.count > $1.count }
    }

    /// Whether this redactor has any value to look for.
    public var isEmpty: Bool { self.needles.isEmpty }

    /// `text` with every secret occurrence replaced.
    public func redact(_ text: String) -> String {
        guard !self.needles.isEmpty else { return text }
        var text = text
        return text.withUTF8 { bytes in
            guard let first = self.firstMatch(in: bytes, from: 0) else { return nil }
            return String(decoding: self.replacingMatches(in: bytes, from: first), as: UTF8.self)
        } ?? text
    }

    /// `metadata` with secret values replaced, and every value under a secret-looking key.
    public func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var redacted = Logger.Metadata(minimumCapacity: metadata.count)
        for (key, value) in metadata {
            redacted[key] = self.redact(value, key: key)
        }
        return redacted
    }

    /// One metadata value (under `key`, when it is a dictionary entry) with secrets replaced.
    public func redact(_ value: Logger.MetadataValue, key: String?) -> Logger.MetadataValue {
        if let key, Self.namesSecret(key) {
            return .string(Self.replacement)
        }
        switch value {
        case .string(let text):
            return .string(self.redact(text))
        case .stringConvertible(let convertible):
            return .string(self.redact(convertible.description))
        case .dictionary(let metadata):
            return .dictionary(self.redact(metadata))
        case .array(let values):
            return .array(values.map { self.redact($0, key: nil) })
        }
    }

    /// The quoted `password="…"` values inside a property value such as `sasl.jaas.config`, so a
    /// log that quotes only the password is caught too.
    static func embeddedPasswords(in value: String) -> [String] {
        var found: [String] = []
        var rest = value[...]
        while let marker = rest.firstRange(of: "password=") {
            rest = rest[marker.upperBound...]
            guard let quote = rest.first, quote == "\"" || quote == "'" else { continue }
            let body = rest.dropFirst()
            guard let end = body.firstIndex(of: quote) else { break }
            found.append(String(body[..<end]))
            rest = body[end...]
        }
        return found
    }

    /// Whether a metadata key names a secret (`mmolove.secret`, `Authorization`, `signature`, …).
    public static func namesSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return Self.secretKeyFragments.contains { lowered.contains($0) }
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
        for needle in self.needles where needle.count <= bytes.count - index {
            var matches = true
            for offset in 0..<needle.count where bytes[index + offset] != needle[offset] {
                matches = false
                break
            }
            if matches { return needle.count }
        }
        return nil
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
