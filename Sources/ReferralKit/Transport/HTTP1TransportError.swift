/// Why an exchange through ``ReferralConnectionPool`` got no complete HTTP response. Its text
/// names what happened, never the endpoint, a header or the body (they may carry credentials).
struct HTTP1TransportError: Error, Hashable, CustomStringConvertible {
    /// What went wrong.
    enum Kind: String, Sendable, Hashable {
        /// No connection could be opened (refused, unreachable, name not resolved, connect timeout).
        case connect = "connect failed"
        /// The deadline passed before the response's end.
        case timeout = "deadline passed"
        /// The connection closed or failed before the response's end.
        case connectionLost = "connection lost"
        /// The response body was larger than the limit.
        case bodyTooLarge = "response body too large"
        /// A header value would have split the request (CR, LF or NUL in it).
        case invalidHeader = "invalid request header"
        /// The pool was shut down.
        case shutDown = "connection pool shut down"
    }

    /// What went wrong.
    let kind: Kind
    /// `true` when the connection was lost before any byte of a response arrived: on a reused
    /// connection that is the server having closed it while it was idle, and the request is
    /// sent again on a new one.
    let beforeResponse: Bool
    /// The underlying error's text, if any.
    let detail: String?

    init(_ kind: Kind, beforeResponse: Bool = false, detail: String? = nil) {
        self.kind = kind
        self.beforeResponse = beforeResponse
        self.detail = detail
    }

    var description: String {
        self.detail.map { "\(self.kind.rawValue): \($0)" } ?? self.kind.rawValue
    }
}
