import Kafka
import Testing

@testable import Relay

/// The trace context headers the relay reads from input records and writes onto outcomes and
/// dead letters, without a tracer (the relay's default) and in dead letters cut down to fit.
@Suite struct RelayTracerTests {
    static let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    static func message(headers: [KafkaHeader]) -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: "account-created", partition: 2, offset: 41, key: Array("acct-1".utf8), value: Array("{}".utf8),
            headers: headers)
    }

    static func header(_ key: String, _ value: String) -> KafkaHeader {
        KafkaHeader(key: key, value: Array(value.utf8))
    }

    @Test func withoutATracerTheInputTraceContextIsCopiedUnchanged() {
        let message = Self.message(headers: [
            Self.header("producer", "game-7"), Self.header("traceparent", Self.parent),
            Self.header("tracestate", "vendor=1"),
        ])
        #expect(
            RelayTracer.disabled.propagationHeaders(for: message) == [
                Self.header("traceparent", Self.parent), Self.header("tracestate", "vendor=1"),
            ])
        #expect(RelayTracer.disabled.propagationHeaders(for: Self.message(headers: [])).isEmpty)
    }

    @Test func theLastHeaderOfANameWinsWhateverItsCase() {
        let headers = [
            Self.header("TraceParent", "00-old"), Self.header("traceparent", Self.parent),
            KafkaHeader(key: "tracestate", value: nil),
        ]
        #expect(TraceHeaders.copied(from: headers) == [Self.header("traceparent", Self.parent)])
        #expect(KafkaHeadersExtractor().extract(key: "traceparent", from: headers) == Self.parent)
        var injected = headers
        KafkaHeadersInjector().inject("00-new", forKey: "traceparent", into: &injected)
        #expect(injected.filter { TraceHeaders.isTraceHeader($0.key) && $0.value != nil }.map(\.key) == ["traceparent"])
        #expect(KafkaHeadersExtractor().extract(key: "traceparent", from: injected) == "00-new")
    }

    @Test func aDeadLetterCarriesItsOwnTraceContextInsteadOfTheOriginals() {
        let message = Self.message(headers: [
            Self.header("producer", "game-7"), Self.header("traceparent", Self.parent),
        ])
        let own = [Self.header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01")]
        let letter = DeadLetter.record(
            for: message, topic: "referral-dlq", stage: .decode, reason: "not JSON", trace: own)
        #expect(letter.headers.filter { $0.key == "traceparent" } == own)
        #expect(letter.headers.contains(Self.header("producer", "game-7")), "other original headers are kept")
        // Without its own, the original's is copied like any header.
        let plain = DeadLetter.record(for: message, topic: "referral-dlq", stage: .decode, reason: "not JSON")
        #expect(plain.headers.filter { $0.key == "traceparent" } == [Self.header("traceparent", Self.parent)])
    }

    @Test func aDeadLetterCutDownKeepsItsTraceContext() {
        // Original headers too large to keep: they are dropped, the trace context is not.
        let message = Self.message(headers: [
            Self.header("traceparent", Self.parent), Self.header("bulk", String(repeating: "h", count: 4_000)),
        ])
        let own = [Self.header("traceparent", Self.parent)]
        let letter = DeadLetter.record(
            for: message, topic: "referral-dlq", stage: .decode, reason: "not JSON", trace: own, maxBytes: 2_000)
        #expect(letter.sizeEstimate <= 2_000)
        #expect(DeadLetterTests.header(letter, DeadLetter.truncatedHeader) == "headers")
        #expect(letter.headers.filter { $0.key == "traceparent" } == own)
        #expect(!letter.headers.contains { $0.key == "bulk" })
    }

    @Test func tracingIsRequestedByAnEndpointUnlessDisabled() {
        #expect(!RelayTracing.isRequested(by: [:]))
        #expect(!RelayTracing.isRequested(by: ["OTEL_EXPORTER_OTLP_ENDPOINT": " "]))
        #expect(RelayTracing.isRequested(by: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]))
        #expect(RelayTracing.isRequested(by: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"]))
        #expect(
            !RelayTracing.isRequested(by: [
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "TRUE",
            ]))
        #expect(
            !RelayTracing.isRequested(by: [
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none",
            ]))
    }
}
