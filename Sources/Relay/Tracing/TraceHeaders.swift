import Kafka
import Tracing

/// The W3C trace context headers (`traceparent`, `tracestate`) on Kafka records: read from input
/// records, written onto outcomes and dead letters.
enum TraceHeaders {
    /// W3C Trace Context's `traceparent`: version, trace id, parent span id, flags.
    static let traceparent = "traceparent"
    /// W3C Trace Context's `tracestate`: vendor entries that travel with `traceparent`.
    static let tracestate = "tracestate"

    /// Whether `key` names a trace context header (header names compare case-insensitively,
    /// as in HTTP, where W3C Trace Context defines them).
    static func isTraceHeader(_ key: String) -> Bool {
        let key = key.lowercased()
        return key == traceparent || key == tracestate
    }

    /// The trace context headers of `headers`, unchanged (the last of each, as a consumer of
    /// the record reads them).
    static func copied(from headers: [KafkaHeader]) -> [KafkaHeader] {
        var parent: KafkaHeader?
        var state: KafkaHeader?
        for header in headers where header.value != nil && self.isTraceHeader(header.key) {
            if header.key.lowercased() == traceparent { parent = header } else { state = header }
        }
        return [parent, state].compactMap { $0 }
    }
}

/// Reads trace context fields from a consumed record's headers (the last header of a name wins).
struct KafkaHeadersExtractor: Extractor {
    func extract(key: String, from headers: [KafkaHeader]) -> String? {
        guard let value = headers.last(where: { $0.key.lowercased() == key.lowercased() })?.value else {
            return nil
        }
        return String(decoding: value, as: UTF8.self)
    }
}

/// Writes trace context fields into a record's headers, replacing any of the same name.
struct KafkaHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout [KafkaHeader]) {
        headers.removeAll { $0.key.lowercased() == key.lowercased() }
        headers.append(KafkaHeader(key: key, value: Array(value.utf8)))
    }
}
