import NIOCore
import NIOHTTP1

/// A complete HTTP/1.1 response read by ``ReferralConnectionPool``.
public struct HTTP1Response: Sendable, Equatable {
    /// The status code.
    public let status: Int
    /// The response headers.
    public let headers: HTTPHeaders
    /// The whole body (empty when there was none).
    public let body: ByteBuffer
    /// `false` when the server closes the connection after this response (`Connection: close`,
    /// or HTTP/1.0 without keep-alive): it is not put back in the pool.
    public let keepAlive: Bool
}
