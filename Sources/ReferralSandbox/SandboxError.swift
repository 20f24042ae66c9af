/// The one error type of ReferralSandbox: an extensible code, a reason and the source location.
///
/// - Important: A reason never contains a secret value.
public struct SandboxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Backing: String, Sendable, Hashable {
            case invalidConfiguration
            case bindFailed
        }

        private let backing: Backing

        /// A configuration file, flag or fault setting is missing or invalid.
        public static let invalidConfiguration = Code(backing: .invalidConfiguration)
        /// The server stopped before it was listening.
        public static let bindFailed = Code(backing: .bindFailed)

        public var description: String { self.backing.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// Why it failed; names the offending key, never a secret.
    public var reason: String
    /// The file that raised the error.
    public var file: String
    /// The line that raised the error.
    public var line: UInt

    /// Creates an error, capturing the caller's source location.
    ///
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - reason: A description naming the offending key.
    public init(_ code: Code, reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String {
        "SandboxError(\(self.code)): \(self.reason) [\(self.file):\(self.line)]"
    }
}
