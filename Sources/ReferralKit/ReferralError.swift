/// The one error type of ReferralKit: an extensible code, a human-readable reason and the source
/// location that raised it.
///
/// - Important: A reason never contains a secret value; callers building a reason must not
///   interpolate a ``ReferralSecret`` other than through its redacted description.
public struct ReferralError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes (new codes are not a breaking change).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Backing: String, Sendable, Hashable {
            case invalidEvent
            case invalidSignatureHeader
            case unknownServer
            case invalidEndpoint
            case transportFailure
            case invalidConfiguration
        }

        private let backing: Backing

        /// An event field is missing, empty or of the wrong kind.
        public static let invalidEvent = Code(backing: .invalidEvent)
        /// An `X-MMOLove-Signature` value could not be parsed.
        public static let invalidSignatureHeader = Code(backing: .invalidSignatureHeader)
        /// No secret is known for the event's `server_id`.
        public static let unknownServer = Code(backing: .unknownServer)
        /// The configured endpoint is not a usable http(s) URL.
        public static let invalidEndpoint = Code(backing: .invalidEndpoint)
        /// The request never produced an HTTP response (refused, reset, timeout, TLS); status 0.
        public static let transportFailure = Code(backing: .transportFailure)
        /// A configuration value (secret file, environment variable) is missing or unusable.
        public static let invalidConfiguration = Code(backing: .invalidConfiguration)

        public var description: String { self.backing.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// Why it failed, for humans and logs; never includes a secret.
    public var reason: String
    /// The file that raised the error.
    public var file: String
    /// The line that raised the error.
    public var line: UInt

    /// Creates an error, capturing the caller's source location.
    ///
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - reason: A description for humans; must not contain a secret.
    public init(_ code: Code, reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String {
        "ReferralError(\(self.code)): \(self.reason) [\(self.file):\(self.line)]"
    }
}
