import Kafka
import Logging
import ReferralKit
import Synchronization

/// Replaces secrets in log output by `[REDACTED]`: every occurrence of a configured secret value
/// in a message, a metadata value (nested ones included) or an error description, and the whole
/// value of any metadata key that names a secret.
///
/// What counts as a secret, and the length rule that keeps very short ones from destroying the
/// log, are ``KafkaSecretScrubber``'s (it does the matching, on UTF-8 bytes): MMOLove secrets,
/// every secret-bearing librdkafka property value and each of its pieces, the endpoint's
/// userinfo and query. Other librdkafka property values of at least
/// ``minimumPropertyValueLength`` bytes are replaced too, numbers and booleans excepted: some
/// carry credentials under names that do not say so.
///
/// Copies share their secrets: a secret learned after a rotation (``learn(_:)``) is redacted by
/// every handler built from this redactor.
public struct LogRedactor: Sendable {
    /// What a redacted secret is replaced by.
    public static let replacement = KafkaSecretScrubber.replacement

    /// Fragments of metadata key names whose values are always redacted, matched case-insensitively.
    public static let secretKeyFragments = ["secret", "password", "passwd", "credential", "authorization", "signature"]

    /// Values of librdkafka properties that do not carry a secret by name are not redacted when
    /// shorter than this: redacting `all` or `1` everywhere would make logs unreadable.
    public static let minimumPropertyValueLength = KafkaSecretScrubber.minimumLength

    /// The secrets and values, and the scrubber built from them; shared by copies.
    private final class Needles: Sendable {
        struct State {
            var secrets: Set<[UInt8]>
            var values: Set<[UInt8]>
            var scrubber: KafkaSecretScrubber
        }

        let state: Mutex<State>

        init(secrets: Set<[UInt8]>, values: Set<[UInt8]>) {
            self.state = Mutex(
                State(secrets: secrets, values: values, scrubber: KafkaSecretScrubber(secrets: secrets, values: values))
            )
        }
    }

    private let needles: Needles

    /// A redactor with nothing to replace except values under secret-looking keys.
    public init() {
        self.needles = Needles(secrets: [], values: [])
    }

    /// Creates a redactor.
    ///
    /// - Parameters:
    ///   - secrets: MMOLove secrets, under ``KafkaSecretScrubber``'s length rule.
    ///   - values: Other sensitive values; those of at least ``minimumPropertyValueLength``
    ///     bytes are redacted.
    public init(secrets: [ReferralSecret], values: [String] = []) {
        self.init(secrets: secrets.map { $0.withUnsafeValue { $0 } }, values: values)
    }

    /// Creates the relay's redactor.
    ///
    /// - Parameters:
    ///   - secrets: MMOLove secrets.
    ///   - kafkaProperties: The librdkafka properties: secret-bearing ones are redacted with
    ///     their pieces (``KafkaSecretScrubber/secretPieces(of:)``), every value of at least
    ///     ``minimumPropertyValueLength`` bytes as a whole.
    ///   - endpoint: The MMOLove endpoint, whose userinfo and query are redacted
    ///     (``ReferralEndpoint/secretParts(of:)``).
    public init(secrets: [ReferralSecret], kafkaProperties: [String: String], endpoint: String? = nil) {
        var secretStrings: [String] = []
        for (name, value) in kafkaProperties where KafkaSecretScrubber.isSecretBearing(name) {
            secretStrings += KafkaSecretScrubber.secretPieces(of: value)
        }
        secretStrings += endpoint.map(ReferralEndpoint.secretParts(of:)) ?? []
        self.init(
            secrets: secrets.map { $0.withUnsafeValue { $0 } } + secretStrings.map { Array($0.utf8) },
            values: Array(kafkaProperties.values)
        )
    }

    private init(secrets: [[UInt8]], values: [String]) {
        self.needles = Needles(secrets: Set(secrets), values: Set(values.map { Array($0.utf8) }))
    }

    /// Adds `secret` (a rotated one) to what every copy of this redactor replaces; the secrets
    /// it replaced before stay.
    public func learn(_ secret: ReferralSecret) {
        let bytes = secret.withUnsafeValue { $0 }
        self.needles.state.withLock { state in
            guard state.secrets.insert(bytes).inserted else { return }
            state.scrubber = KafkaSecretScrubber(secrets: state.secrets, values: state.values)
        }
    }

    /// Whether this redactor has any value to look for.
    public var isEmpty: Bool { self.scrubber.isEmpty }

    private var scrubber: KafkaSecretScrubber { self.needles.state.withLock { $0.scrubber } }

    /// `text` with every secret occurrence replaced.
    public func redact(_ text: String) -> String {
        self.scrubber.scrub(text)
    }

    /// `metadata` with secret values replaced, and every value under a secret-looking key.
    public func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        Self.redact(metadata, with: self.scrubber)
    }

    /// One metadata value (under `key`, when it is a dictionary entry) with secrets replaced.
    public func redact(_ value: Logger.MetadataValue, key: String?) -> Logger.MetadataValue {
        Self.redact(value, key: key, with: self.scrubber)
    }

    private static func redact(_ metadata: Logger.Metadata, with scrubber: KafkaSecretScrubber) -> Logger.Metadata {
        var redacted = Logger.Metadata(minimumCapacity: metadata.count)
        for (key, value) in metadata {
            redacted[key] = Self.redact(value, key: key, with: scrubber)
        }
        return redacted
    }

    private static func redact(
        _ value: Logger.MetadataValue,
        key: String?,
        with scrubber: KafkaSecretScrubber
    ) -> Logger.MetadataValue {
        if let key, Self.namesSecret(key) {
            return .string(Self.replacement)
        }
        switch value {
        case .string(let text):
            return .string(scrubber.scrub(text))
        case .stringConvertible(let convertible):
            return .string(scrubber.scrub(convertible.description))
        case .dictionary(let metadata):
            return .dictionary(Self.redact(metadata, with: scrubber))
        case .array(let values):
            return .array(values.map { Self.redact($0, key: nil, with: scrubber) })
        }
    }

    /// Whether a metadata key names a secret (`mmolove.secret`, `Authorization`, `signature`, …).
    public static func namesSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return Self.secretKeyFragments.contains { lowered.contains($0) }
    }
}
