import ReferralKit

/// Everything the sandbox needs at start-up: where to listen, the servers with their secrets,
/// the token rules, the faults and the replay window.
public struct SandboxConfiguration: Sendable {
    /// One MMOLove server the sandbox knows.
    public struct Server: Sendable, Hashable {
        /// The `server_id`.
        public var id: String
        /// Its secrets; several with distinct key ids model a rotation. Empty = "no secret".
        public var secrets: [ReferralSecret]
        /// Whether referrals are switched on for this server (404 `referrals not enabled` if not).
        public var referralsEnabled: Bool

        /// Creates a server entry.
        ///
        /// - Parameters:
        ///   - id: The `server_id`.
        ///   - secrets: Its secrets (with key ids when rotated).
        ///   - referralsEnabled: Whether referrals are on.
        public init(id: String, secrets: [ReferralSecret], referralsEnabled: Bool = true) {
            self.id = id
            self.secrets = secrets
            self.referralsEnabled = referralsEnabled
        }
    }

    /// The address to bind; loopback by default.
    public var host: String
    /// The port to bind; 0 picks a free one (read it from the listening callback).
    public var port: Int
    /// The known servers.
    public var servers: [Server]
    /// Tokens answered with 404 `unknown token`; every other token is known.
    public var unknownTokens: Set<String>
    /// Tokens past their 90-day expiry, also answered with 404 `unknown token`.
    public var expiredTokens: Set<String>
    /// The faults injected from the start.
    public var faults: SandboxFaults
    /// The replay window in seconds (±).
    public var replayWindow: Int64
    /// The seed of the fault generator, so a fault pattern can be replayed.
    public var seed: UInt64
    /// How many delivery-log entries are kept (oldest dropped first).
    public var logCapacity: Int

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - host: The bind address, default `127.0.0.1`.
    ///   - port: The bind port, default 8787; 0 for any free port.
    ///   - servers: The known servers.
    ///   - unknownTokens: Tokens answered 404.
    ///   - expiredTokens: Expired tokens, answered 404.
    ///   - faults: The initial faults.
    ///   - replayWindow: ± seconds around the sandbox clock, default 300.
    ///   - seed: The fault generator seed.
    ///   - logCapacity: Delivery-log entries kept, default 10 000.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8787,
        servers: [Server],
        unknownTokens: Set<String> = [],
        expiredTokens: Set<String> = [],
        faults: SandboxFaults = .none,
        replayWindow: Int64 = ReferralSignature.defaultReplayWindow,
        seed: UInt64 = 0x5EED,
        logCapacity: Int = 10_000
    ) {
        self.host = host
        self.port = port
        self.servers = servers
        self.unknownTokens = unknownTokens
        self.expiredTokens = expiredTokens
        self.faults = faults
        self.replayWindow = replayWindow
        self.seed = seed
        self.logCapacity = logCapacity
    }

    /// Checks the configuration once at start-up.
    ///
    /// - Throws: ``SandboxError`` naming the offending key.
    public func validate() throws(SandboxError) {
        guard (0...65535).contains(self.port) else {
            throw SandboxError(.invalidConfiguration, reason: "port must be within 0...65535")
        }
        guard self.replayWindow >= 0 else {
            throw SandboxError(.invalidConfiguration, reason: "replay_window must not be negative")
        }
        guard self.logCapacity > 0 else {
            throw SandboxError(.invalidConfiguration, reason: "log_capacity must be positive")
        }
        var seen = Set<String>()
        for server in self.servers {
            guard !server.id.isEmpty else { throw SandboxError(.invalidConfiguration, reason: "servers[].id is empty") }
            guard seen.insert(server.id).inserted else {
                throw SandboxError(.invalidConfiguration, reason: "servers[].id '\(server.id)' is repeated")
            }
            if server.secrets.contains(where: \.isEmpty) {
                throw SandboxError(.invalidConfiguration, reason: "servers['\(server.id)'].secret is empty")
            }
        }
        try self.faults.validate()
    }
}
