import CRDKafka

/// Applies configuration properties to an `rd_kafka_conf_t`.
enum RDKafkaConfig {
    /// Whether a property name looks like it holds a secret whose value must never be shown.
    static func isSecret(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.contains("password") || lower.contains("secret") || lower.contains("sasl.oauthbearer")
            || lower.contains("key.pem") || lower.contains("private")
    }

    /// Sets one property.
    ///
    /// - Throws: ``KafkaError`` (`_INVALID_ARG`) naming the property; librdkafka's reason is
    ///   kept only when the property is not secret (it may quote the value).
    static func set(_ name: String, _ value: String, on conf: OpaquePointer) throws(KafkaError) {
        var errstr = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
        guard result != RD_KAFKA_CONF_OK else { return }
        let kind = result == RD_KAFKA_CONF_UNKNOWN ? "Unknown" : "Invalid value for"
        let reason: String
        if isSecret(name) {
            reason = "\(kind) configuration property '\(name)' (value redacted)"
        } else {
            let detail = errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            reason = "\(kind) configuration property '\(name)': \(detail)"
        }
        throw KafkaError(code: .invalidArgument, reason: reason)
    }

    /// Removes anything after a `=` in a librdkafka message that mentions a secret property.
    static func redact(_ message: String) -> String {
        isSecret(message) ? "(details redacted: mentions a secret property)" : message
    }
}

extension Duration {
    /// Whole milliseconds, clamped to `Int32` (librdkafka's millisecond arguments are `int`).
    var rdMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }
}
