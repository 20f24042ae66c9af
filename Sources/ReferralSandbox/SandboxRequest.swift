/// A request as the sandbox received it: the raw body bytes are never re-encoded.
public struct SandboxRequest: Sendable, Hashable {
    /// One header as received.
    public struct Header: Sendable, Hashable {
        /// The header name as sent.
        public var name: String
        /// The header value.
        public var value: String

        /// Creates a header.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The HTTP method.
    public var method: String
    /// The path.
    public var path: String
    /// The headers in arrival order.
    public var headers: [Header]
    /// The raw body bytes exactly as received.
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, path: String, headers: [Header], body: [UInt8]) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, compared case-insensitively.
    ///
    /// - Parameter name: The header name.
    /// - Returns: The value, if present.
    public func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
