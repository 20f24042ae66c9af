/// Where the sandbox listens.
public struct SandboxAddress: Sendable, Hashable, CustomStringConvertible {
    /// The bound host.
    public var host: String
    /// The bound port.
    public var port: Int

    /// The base URL, e.g. `http://127.0.0.1:8787`.
    public var baseURL: String { "http://\(self.host):\(self.port)" }

    /// The events endpoint URL.
    public var eventsURL: String { self.baseURL + "/api/referral/events" }

    public var description: String { self.baseURL }
}
