import NIOCore
import NIOHTTP1

/// The pooled connection's request encoder: the request is already whole (rendered by
/// ``ReferralConnectionPool`` on the caller's thread), so its body part is written as it is and
/// the head part, which only tells NIO's response decoder (before this handler on the way out)
/// that a `POST` went out, is not written at all.
///
/// NIO's `HTTPRequestEncoder` in its place serialised each request's header list into a buffer
/// of its own and checked its framing headers, on the event loop, for every request.
final class HTTP1RequestWriter: ChannelOutboundHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = IOData

    /// The head written before each request, for the response decoder: only its method is read.
    static let postHead = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head, .end:
            promise?.succeed(())
        case .body(let part):
            context.write(self.wrapOutboundOut(part), promise: promise)
        }
    }
}

// Lives on its channel's event loop only.
@available(*, unavailable)
extension HTTP1RequestWriter: Sendable {}
