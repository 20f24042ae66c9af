/// What one delivery attempt returned, like the .NET and Python SDKs' result: the status, whether
/// it was a 2xx, the body, plus the contract classification.
public struct SendResult: Sendable, Hashable {
    /// The HTTP status code.
    public let status: Int
    /// `true` for a 2xx status.
    public let ok: Bool
    /// The response body bytes.
    public let bodyBytes: [UInt8]
    /// The `Retry-After` header value, if any.
    public let retryAfter: String?
    /// The classification of this response.
    public let response: ReferralResponse

    /// Creates a result and classifies it.
    ///
    /// - Parameters:
    ///   - status: The HTTP status code.
    ///   - body: The response body bytes.
    ///   - retryAfter: The `Retry-After` header value, if any.
    public init(status: Int, body: [UInt8], retryAfter: String? = nil) {
        self.status = status
        self.ok = (200..<300).contains(status)
        self.bodyBytes = body
        self.retryAfter = retryAfter
        self.response = ReferralResponse.classify(status: status, body: body, retryAfter: retryAfter)
    }

    /// The response body as UTF-8 text.
    public var body: String { String(decoding: self.bodyBytes, as: UTF8.self) }
}
