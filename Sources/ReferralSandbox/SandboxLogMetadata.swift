/// The log metadata keys the sandbox uses, in one place.
enum SandboxLogMetadata {
    /// The bound host.
    static let host = "sandbox.host"
    /// The bound port.
    static let port = "sandbox.port"
    /// The answered status.
    static let status = "sandbox.status"
    /// The verdict behind the answer.
    static let verdict = "sandbox.verdict"
}
