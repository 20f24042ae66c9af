import Kafka

extension DeadLetter {
    /// The header naming what a dead letter lost to fit the producer's limit: a comma-separated
    /// list of `value` (cut), `key` (dropped) and `headers` (the original headers dropped).
    public static let truncatedHeader = headerPrefix + "truncated"
    /// The header holding the original value's size in bytes when the value was cut.
    public static let originalSizeHeader = headerPrefix + "original.size"

    /// A dead letter cut down to at most `maxBytes` (``KafkaProducerRecord/sizeEstimate``),
    /// keeping, in this order of priority: the context headers (where it came from and why),
    /// the key when it takes at most half of what remains, the original headers when they take
    /// at most half of what remains then, and as much of the value as fits (cut at a UTF-8
    /// character boundary). ``truncatedHeader`` and ``originalSizeHeader`` say what was lost.
    ///
    /// - Parameters:
    ///   - record: The full dead letter.
    ///   - context: Its `__connect.errors.*` headers (and its own trace context headers, if any).
    ///   - message: The source record.
    ///   - replacingTrace: Whether the context carries the trace headers (the original's are
    ///     then not copied).
    ///   - maxBytes: The producer's limit.
    /// - Returns: The dead letter that fits; when even the context headers do not fit, the
    ///   context headers with an empty value (the producer then refuses it, and the caller
    ///   gives up on the dead letter).
    static func fitted(
        _ record: KafkaProducerRecord,
        context: [KafkaHeader],
        message: KafkaConsumerMessage,
        replacingTrace: Bool = false,
        maxBytes: Int
    ) -> KafkaProducerRecord {
        var lost: [String] = []
        var headers = context
        // Room for the two truncation headers, their values and their varints.
        var room = maxBytes - KafkaProducerRecord.sizeOverhead - 96
        for header in context { room -= header.key.utf8.count + (header.value?.count ?? 0) + 10 }

        var key = message.key
        if let originalKey = message.key, originalKey.count > max(0, room) / 2 {
            key = nil
            lost.append("key")
        }
        room -= key?.count ?? 0

        let original = self.originalHeaders(of: message, replacingTrace: replacingTrace)
        let originalSize = original.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) + 10 }
        if !original.isEmpty {
            if originalSize <= max(0, room) / 2 {
                headers = original + context
                room -= originalSize
            } else {
                lost.append("headers")
            }
        }

        let value = Self.prefix(message.value, maxBytes: max(0, room))
        if value.count < message.value.count { lost.append("value") }
        headers.append(KafkaHeader(key: truncatedHeader, value: Array(lost.sorted().joined(separator: ",").utf8)))
        if value.count < message.value.count {
            headers.append(KafkaHeader(key: originalSizeHeader, value: Array(String(message.value.count).utf8)))
        }
        return KafkaProducerRecord(topic: record.topic, key: key, value: value, headers: headers)
    }

    /// At most `maxBytes` leading bytes of `bytes`, not ending inside a UTF-8 sequence when the
    /// bytes are UTF-8 (a cut in the middle of a character would make the excerpt unreadable).
    static func prefix(_ bytes: [UInt8], maxBytes: Int) -> [UInt8] {
        guard bytes.count > maxBytes else { return bytes }
        var end = maxBytes
        // Step back over continuation bytes (10xxxxxx) to the start of the character, at most 3.
        var steps = 0
        while end > 0, steps < 4, bytes[end] & 0xC0 == 0x80 {
            end -= 1
            steps += 1
        }
        if steps == 4 { end = maxBytes }  // not UTF-8: cut where the limit says
        return Array(bytes[..<end])
    }
}
