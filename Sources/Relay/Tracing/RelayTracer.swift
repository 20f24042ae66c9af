import Kafka
import Tracing

/// The tracer the pipeline and the MMOLove clients use, or none: with tracing off no span is
/// created and no context is extracted per record, so the cost per record is a `nil` check.
///
/// With a tracer, each record is worked on inside a consumer span (``withConsumerSpan(_:groupID:_:)``),
/// the child of the W3C trace context its headers carry (a new trace without one); the HTTP client
/// span of each attempt is the child of that span, and outcomes and dead letters carry its
/// context (``propagationHeaders(for:)``). Without one, they carry the input record's
/// `traceparent`/`tracestate` unchanged: the relay is then transparent to the trace.
public struct RelayTracer: Sendable {
    /// The tracer; `nil` when tracing is off.
    public let tracer: (any Tracer)?

    /// No tracing.
    public static let disabled = RelayTracer(nil)

    /// Traces with `tracer` (`nil`: no tracing).
    public init(_ tracer: (any Tracer)?) {
        self.tracer = tracer
    }

    /// Runs `body` inside the consumer span of `message`: named `process <topic>`, kind
    /// `consumer`, the child of the trace context in the record's headers, with OpenTelemetry's
    /// messaging attributes. Without a tracer, runs `body` alone.
    ///
    /// - Parameters:
    ///   - message: The input record.
    ///   - groupID: The consumer group (`messaging.consumer.group.name`).
    ///   - body: The record's work; the span is current (`ServiceContext.current`) inside it.
    func withConsumerSpan(
        _ message: KafkaConsumerMessage, groupID: String, _ body: () async -> Void
    ) async {
        guard let tracer else { return await body() }
        var parent = ServiceContext.topLevel
        tracer.extract(message.headers, into: &parent, using: KafkaHeadersExtractor())
        await tracer.withSpan("process \(message.topic)", context: parent, ofKind: .consumer) { span in
            span.updateAttributes { attributes in
                attributes["messaging.system"] = "kafka"
                attributes["messaging.operation.type"] = "process"
                attributes["messaging.operation.name"] = "process"
                attributes["messaging.destination.name"] = message.topic
                attributes["messaging.destination.partition.id"] = "\(message.partition)"
                attributes["messaging.kafka.offset"] = Int(message.offset)
                attributes["messaging.consumer.group.name"] = groupID
            }
            await body()
        }
    }

    /// The trace context headers to put on the outcome or dead letter of `message`: the current
    /// span's context (the consumer span, a child of the input's) when tracing is on, else the
    /// input's own `traceparent` and `tracestate`, unchanged.
    func propagationHeaders(for message: KafkaConsumerMessage) -> [KafkaHeader] {
        guard let tracer, let context = ServiceContext.current else {
            return TraceHeaders.copied(from: message.headers)
        }
        var headers: [KafkaHeader] = []
        tracer.inject(context, into: &headers, using: KafkaHeadersInjector())
        return headers
    }
}
