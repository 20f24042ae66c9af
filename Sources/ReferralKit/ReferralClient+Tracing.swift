import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Tracing

extension ReferralClient {
    /// ``exchange(body:headers:)`` inside a client span, a child of the caller's current
    /// `ServiceContext`, named and attributed per OpenTelemetry's HTTP client conventions. The
    /// span's context is injected into the request headers, so MMOLove (and any proxy before it)
    /// can continue the trace.
    ///
    /// async-http-client traces by itself only on its async `execute(_:deadline:)` API: on the
    /// future-based one this client uses (its deadline covers the body too) it starts the span on
    /// an event loop, where no `ServiceContext` is current, and injects nothing. Hence this span.
    ///
    /// - Throws: ``ReferralError`` `transportFailure` when no HTTP response arrived (recorded on
    ///   the span).
    func tracedExchange(
        body: [UInt8], headers: HTTPHeaders, tracer: any Tracer
    ) async throws(ReferralError) -> SendResult {
        let span = tracer.startSpan("POST", ofKind: .client)
        defer { span.end() }
        var headers = headers
        tracer.inject(span.context, into: &headers, using: ReferralHeadersInjector())
        let endpoint = self.endpoint
        // Parsed once, when the client was made.
        let address = self.address
        // One update, one lock taken in the span, rather than one per attribute.
        span.updateAttributes { attributes in
            attributes["http.request.method"] = "POST"
            attributes["url.full"] = ReferralEndpoint.redacted(endpoint)
            attributes["server.address"] = address.host
            attributes["server.port"] = address.port
        }
        do {
            let result = try await self.exchange(body: body, headers: headers)
            span.updateAttributes { attributes in
                attributes["http.response.status_code"] = result.status
                // As async-http-client marks its own client spans: a 4xx or 5xx is an error.
                if result.status >= 400 { attributes["error.type"] = "\(result.status)" }
            }
            if result.status >= 400 { span.setStatus(SpanStatus(code: .error)) }
            return result
        } catch {
            span.recordError(error)
            span.attributes["error.type"] = "transport"
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
    }
}

/// Writes trace context fields (`traceparent`, `tracestate`) into HTTP request headers.
struct ReferralHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: key, value: value)
    }
}
