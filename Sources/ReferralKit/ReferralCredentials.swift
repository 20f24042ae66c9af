/// The secrets of several MMOLove servers: `server_id` → secret.
public struct ReferralCredentials: Sendable, Hashable, CustomStringConvertible {
    private var secrets: [String: ReferralSecret]

    /// Creates credentials from a map of server id to secret.
    ///
    /// - Parameter secrets: One secret per `server_id`.
    public init(_ secrets: [String: ReferralSecret] = [:]) {
        self.secrets = secrets
    }

    /// Creates credentials for a single server.
    ///
    /// - Parameters:
    ///   - serverID: The MMOLove server id.
    ///   - secret: Its referral secret.
    public init(serverID: String, secret: ReferralSecret) {
        self.secrets = [serverID: secret]
    }

    /// The server ids that have a secret, sorted.
    public var serverIDs: [String] { self.secrets.keys.sorted() }

    /// The secret for a server id, if known.
    public subscript(serverID: String) -> ReferralSecret? {
        get { self.secrets[serverID] }
        set { self.secrets[serverID] = newValue }
    }

    /// The secret for `serverID`.
    ///
    /// - Throws: ``ReferralError`` with code `unknownServer` when no secret is configured.
    public func secret(for serverID: String) throws(ReferralError) -> ReferralSecret {
        guard let secret = self.secrets[serverID] else {
            throw ReferralError(.unknownServer, reason: "no secret configured for server_id '\(serverID)'")
        }
        return secret
    }

    public var description: String {
        "ReferralCredentials(\(self.serverIDs.map { "\($0): <redacted>" }.joined(separator: ", ")))"
    }
}
