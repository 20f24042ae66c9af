import CRDKafka

/// Applies configuration properties to an `rd_kafka_conf_t`.
enum RDKafkaConfig {
    /// Sets one property.
    ///
    /// - Parameters:
    ///   - name: The property.
    ///   - value: Its value.
    ///   - conf: The configuration being built.
    ///   - scrubber: Applied to librdkafka's reason, which may quote a value.
    /// - Throws: ``KafkaError`` (`_INVALID_ARG`) naming the property; librdkafka's reason is
    ///   kept only when the property does not carry a secret
    ///   (``KafkaSecretScrubber/isSecretBearing(_:)``), since it may quote the value.
    static func set(
        _ name: String,
        _ value: String,
        on conf: OpaquePointer,
        scrubber: KafkaSecretScrubber
    ) throws(KafkaError) {
        var errstr = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
        guard result != RD_KAFKA_CONF_OK else { return }
        let kind = result == RD_KAFKA_CONF_UNKNOWN ? "Unknown" : "Invalid value for"
        let reason: String
        if KafkaSecretScrubber.isSecretBearing(name) {
            reason = "\(kind) configuration property '\(name)' (value redacted)"
        } else {
            let detail = errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            reason = "\(kind) configuration property '\(name)': \(scrubber.scrub(detail))"
        }
        throw KafkaError(code: .invalidArgument, reason: reason)
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
