import Foundation
import Kafka
import Testing

/// Tracing over the real wire: `referral-relay run` exporting to an in-test OTLP/HTTP receiver,
/// input records carrying W3C `traceparent` headers, MMOLove played by the sandbox (which logs
/// each request's headers), outcomes and dead letters read back from the embedded broker.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RelayTracingTests {
    /// The parent chain, from the input record's header to the HTTP request's `traceparent`:
    /// input span → consumer span → HTTP client span → MMOLove; outcomes and dead letters carry
    /// the consumer span's context; log lines written inside a span name it; the exporter's
    /// credentials header reaches the collector and never the log.
    @Test func continuesTheInputTraceThroughMMOLoveToOutcomesAndDeadLetters() async throws {
        let token = "otlp-secret-\(UUID().uuidString.prefix(8))"
        try await OTLPReceiver.withRunning { receiver, endpoint in
            try await RelayHarness.run(unknownTokens: ["mmr_gone_trace"]) { harness in
                let relay = try await harness.startReadyRelay([
                    "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
                    "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer \(token)",
                    "OTEL_SERVICE_NAME": "relay-under-test",
                    "OTEL_BSP_SCHEDULE_DELAY": "200",
                ])
                let accepted = TraceInput(account: TestAccount.referred("trace-ok", count: 1)[0])
                let rejected = TraceInput(
                    account: TestAccount(
                        id: "trace-gone-\(UUID().uuidString.prefix(6))", mmref: .token("mmr_gone_trace")))
                let malformed = TraceInput(
                    account: TestAccount(id: "trace-bad-\(UUID().uuidString.prefix(6))", mmref: .absent))
                try await harness.produce([
                    accepted.traced(RelayHarness.accountCreated(accepted.account.id, mmref: accepted.account.mmref)),
                    rejected.traced(RelayHarness.accountCreated(rejected.account.id, mmref: rejected.account.mmref)),
                    malformed.traced(
                        KafkaProducerRecord(
                            topic: RelayHarness.accountCreated, key: Array(malformed.account.id.utf8),
                            value: Array("{not json".utf8))),
                ])

                let reader = try await harness.outputReader()
                let outputs = try await reader.readAll(expecting: 4, timeout: .seconds(25))
                await reader.close()
                #expect(await relay.terminate() == 0, "SIGTERM exits 0; log: \(relay.logPath)")

                // SIGTERM flushed the spans the drain ended (the exporter stops after the pipeline).
                let spans = receiver.spans
                #expect(spans.allSatisfy { $0.serviceName == "relay-under-test" }, "OTEL_SERVICE_NAME")
                #expect(receiver.received.first?.headers["authorization"] == "Bearer \(token)")
                #expect(!relay.log.contains(token), "OTEL_EXPORTER_OTLP_HEADERS never logged")

                for input in [accepted, rejected, malformed] {
                    let what = "\(input.account.id); log: \(relay.logPath)"
                    // The consumer span: the input span's child, in the input's trace.
                    let consumer = spans.first { $0.kind == 5 && $0.traceID == input.traceID }
                    #expect(consumer?.parentSpanID == input.spanID, "consumer span's parent: \(what)")
                    #expect(consumer?.name == "process \(RelayHarness.accountCreated)", "\(what)")
                    guard let consumer else { continue }
                    let traceparent = "00-\(input.traceID)-\(consumer.spanID)-01"

                    let records = outputs.filter { $0.keyString == input.account.id }
                    for record in records {
                        #expect(
                            record.header("traceparent") == traceparent,
                            "\(record.topic) record carries the consumer span's context: \(what)")
                        #expect(record.header("tracestate") == "relay-test=\(input.spanID)", "tracestate kept: \(what)")
                        #expect(record.headers.filter { $0.key == "traceparent" }.count == 1, "\(what)")
                    }
                    // A log line written inside the consumer span names it.
                    #expect(
                        relay.log.split(separator: "\n").contains {
                            $0.contains(input.traceID) && $0.contains(consumer.spanID)
                        }, "a log line with trace_id and span_id: \(what)")
                }
                #expect(outputs.filter { $0.keyString == accepted.account.id }.count == 1, "its outcome")
                #expect(outputs.filter { $0.keyString == rejected.account.id }.count == 2, "outcome and dead letter")
                #expect(outputs.filter { $0.keyString == malformed.account.id }.count == 1, "its dead letter")

                // The HTTP client spans: the consumer span's children; MMOLove got their context.
                for input in [accepted, rejected] {
                    let what = "\(input.account.id); log: \(relay.logPath)"
                    let consumer = spans.first { $0.kind == 5 && $0.traceID == input.traceID }
                    let clients = spans.filter { $0.kind == 3 && $0.traceID == input.traceID }
                    #expect(!clients.isEmpty, "an HTTP client span: \(what)")
                    #expect(clients.allSatisfy { $0.parentSpanID == consumer?.spanID && $0.name == "POST" }, "\(what)")
                    let requests = harness.store.log.filter { $0.body.contains("reg-\(input.account.id)") }
                    #expect(!requests.isEmpty, "MMOLove got the event: \(what)")
                    for request in requests {
                        let received = request.headers.first { $0.first?.lowercased() == "traceparent" }?.last
                        #expect(
                            clients.contains { received == "00-\(input.traceID)-\($0.spanID)-01" },
                            "MMOLove's traceparent names a client span: \(String(describing: received)); \(what)")
                    }
                }
                harness.expectSecretNeverPrinted()
            }
        }
    }

    /// Without an OTLP endpoint nothing is exported and no span exists: outcomes and dead letters
    /// carry the input's `traceparent` unchanged, and no log line has a trace id.
    @Test func withoutAnEndpointCopiesTheInputTraceContext() async throws {
        try await RelayHarness.run(unknownTokens: ["mmr_gone_trace"]) { harness in
            let relay = try await harness.startReadyRelay()
            let rejected = TraceInput(
                account: TestAccount(id: "trace-off-\(UUID().uuidString.prefix(6))", mmref: .token("mmr_gone_trace")))
            try await harness.produce([
                rejected.traced(RelayHarness.accountCreated(rejected.account.id, mmref: rejected.account.mmref))
            ])
            let reader = try await harness.outputReader()
            let outputs = try await reader.readAll(expecting: 2, timeout: .seconds(25))
            await reader.close()
            #expect(outputs.count == 2, "outcome and dead letter; log: \(relay.logPath)")
            for record in outputs {
                #expect(record.header("traceparent") == rejected.traceparent, "\(record.topic): the input's")
                #expect(record.header("tracestate") == "relay-test=\(rejected.spanID)", "\(record.topic)")
            }
            let requests = harness.store.log.filter { $0.body.contains("reg-\(rejected.account.id)") }
            #expect(!requests.isEmpty)
            #expect(requests.allSatisfy { !$0.headers.contains { $0.first?.lowercased() == "traceparent" } })
            #expect(!relay.log.contains("\"trace_id\""), "no span, no trace id in the log")
            #expect(await relay.terminate() == 0)
        }
    }
}

/// An input record's trace context: a random trace id and parent span id.
private struct TraceInput {
    var account: TestAccount
    var traceID = Self.randomHex(bytes: 16)
    var spanID = Self.randomHex(bytes: 8)

    /// The input's `traceparent` (sampled).
    var traceparent: String { "00-\(self.traceID)-\(self.spanID)-01" }

    /// `record` with the `traceparent` and a `tracestate` header.
    func traced(_ record: KafkaProducerRecord) -> KafkaProducerRecord {
        var record = record
        record.headers.append(KafkaHeader(key: "traceparent", value: Array(self.traceparent.utf8)))
        record.headers.append(KafkaHeader(key: "tracestate", value: Array("relay-test=\(self.spanID)".utf8)))
        return record
    }

    private static func randomHex(bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}
