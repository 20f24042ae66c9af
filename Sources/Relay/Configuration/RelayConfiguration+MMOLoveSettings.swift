import Foundation
import ReferralKit

extension RelayConfiguration {
    /// Reads and checks the MMOLove settings: endpoint, servers and their secrets, options.
    static func loadMMOLove(_ sources: ConfigurationSources) throws(ConfigurationError) -> MMOLove {
        let allowInsecure = try sources.bool(.mmoloveAllowInsecureHTTP, "mmolove.allowInsecureHttp", default: false)
        let endpoint = sources.string(.mmoloveEndpoint, "mmolove.endpoint", default: ReferralClient.defaultEndpoint)
        try self.checkEndpoint(endpoint.0, key: endpoint.key, allowInsecure: allowInsecure)
        let servers = try self.loadServers(sources)
        return MMOLove(
            endpoint: endpoint.0,
            defaultServerID: servers.defaultServerID,
            credentials: servers.credentials,
            allowInsecureHTTP: allowInsecure,
            requestTimeout: try sources.duration(
                .mmoloveRequestTimeoutSeconds,
                "mmolove.requestTimeoutSeconds",
                default: .seconds(10),
                unit: .seconds
            ),
            connectTimeout: try sources.duration(
                .mmoloveConnectTimeoutSeconds,
                "mmolove.connectTimeoutSeconds",
                default: .seconds(5),
                unit: .seconds
            ),
            testEvents: try sources.bool(.mmoloveTestEvents, "mmolove.testEvents", default: false)
        )
    }

    /// Checks that the endpoint is an http(s) URL with a host, and plain http only on loopback
    /// (or when explicitly allowed): a referral secret's signatures must not cross a network in
    /// the clear by accident.
    static func checkEndpoint(_ endpoint: String, key: String, allowInsecure: Bool) throws(ConfigurationError) {
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(),
            let host = url.host(percentEncoded: false), !host.isEmpty
        else {
            throw .invalid(key, "'\(endpoint)' is not a URL with a scheme and a host")
        }
        switch scheme {
        case "https":
            return
        case "http":
            guard allowInsecure || self.isLoopback(host) else {
                throw .invalid(
                    key,
                    "plain http is only allowed to a loopback host (localhost, 127.0.0.0/8, ::1); "
                        + "use https, or set MMOLOVE_ALLOW_INSECURE_HTTP=true (mmolove.allowInsecureHttp) "
                        + "if the network is trusted"
                )
            }
        default:
            throw .invalid(key, "must be an http or https URL, got scheme '\(scheme)'")
        }
    }

    /// Whether a URL host is a loopback name or address.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if bare == "localhost" || bare == "::1" || bare == "0:0:0:0:0:0:0:1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { UInt8($0) != nil }
    }

    /// The servers and their secrets: the default server (`MMOLOVE_SERVER_ID` with the secret
    /// from `MMOLOVE_REFERRAL_SECRET[_FILE]` / `mmolove.secretFile`) plus `mmolove.servers`.
    private static func loadServers(
        _ sources: ConfigurationSources
    ) throws(ConfigurationError) -> (credentials: ReferralCredentials, defaultServerID: String?) {
        let serverID = sources.value(.mmoloveServerID, "mmolove.serverId")
        let keyID = sources.value(.mmoloveKeyID, "mmolove.keyId").map(\.text).flatMap { $0.isEmpty ? nil : $0 }
        var credentials = ReferralCredentials()
        var origins: [String: String] = [:]

        if let secret = try self.defaultSecret(sources, keyID: keyID) {
            guard let serverID, !serverID.text.isEmpty else {
                throw .missing(
                    .mmoloveServerID,
                    "mmolove.serverId",
                    "a referral secret is configured (\(secret.key)) but no server id it signs for"
                )
            }
            credentials[serverID.text] = secret.secret
            origins[serverID.text] = serverID.key
        }

        for server in sources.file?.servers ?? [] {
            let prefix = "mmolove.servers[\(server.index)]"
            guard let id = server.id?.trimmedForConfiguration, !id.isEmpty else {
                throw .invalid("\(prefix).id", "every server needs a non-empty id")
            }
            if let earlier = origins[id] {
                throw .invalid("\(prefix).id", "server id '\(id)' is also configured by \(earlier)")
            }
            guard let path = server.secretFile?.trimmedForConfiguration, !path.isEmpty else {
                throw .invalid("\(prefix).secretFile", "server '\(id)' needs the path of its referral secret file")
            }
            let serverKeyID = server.keyID?.trimmedForConfiguration
            credentials[id] = try self.readSecret(
                path: path,
                keyID: serverKeyID?.isEmpty == false ? serverKeyID : nil,
                key: "\(prefix).secretFile"
            )
            origins[id] = "\(prefix).id"
        }

        guard !credentials.serverIDs.isEmpty else {
            throw ConfigurationError(
                key: EnvironmentKey.mmoloveReferralSecretFile.rawValue,
                message: "\(EnvironmentKey.mmoloveReferralSecretFile.rawValue) (or "
                    + "\(EnvironmentKey.mmoloveReferralSecret.rawValue), mmolove.secretFile or mmolove.servers "
                    + "in the config file) is required: the relay signs every event with a server's referral secret"
            )
        }
        if let serverID, !serverID.text.isEmpty, credentials[serverID.text] == nil {
            throw .invalid(serverID.key, "no referral secret is configured for server '\(serverID.text)'")
        }
        return (credentials, serverID.flatMap { $0.text.isEmpty ? nil : $0.text })
    }

    /// The default server's secret, if one is configured, with the key that configured it.
    private static func defaultSecret(
        _ sources: ConfigurationSources,
        keyID: String?
    ) throws(ConfigurationError) -> (secret: ReferralSecret, key: String)? {
        let literalName = EnvironmentKey.mmoloveReferralSecret.rawValue
        let fileName = EnvironmentKey.mmoloveReferralSecretFile.rawValue
        let literal = sources.environment[literalName].map(\.trimmedForConfiguration).flatMap { $0.isEmpty ? nil : $0 }
        let envFile = sources.environment[fileName].map(\.trimmedForConfiguration).flatMap { $0.isEmpty ? nil : $0 }
        if literal != nil, envFile != nil {
            throw ConfigurationError(
                key: "\(literalName), \(fileName)",
                message: "\(literalName) and \(fileName) are both set: set only one (prefer the file)"
            )
        }
        if let literal {
            return (ReferralSecret(literal, keyID: keyID), literalName)
        }
        if let envFile {
            return (try self.readSecret(path: envFile, keyID: keyID, key: fileName), fileName)
        }
        if let fileValue = sources.file?.scalars["mmolove.secretFile"]?.trimmedForConfiguration, !fileValue.isEmpty {
            return (try self.readSecret(path: fileValue, keyID: keyID, key: "mmolove.secretFile"), "mmolove.secretFile")
        }
        return nil
    }

    /// Reads a secret file; errors name the key and the path, never the content.
    private static func readSecret(path: String, keyID: String?, key: String) throws(ConfigurationError)
        -> ReferralSecret
    {
        do {
            return try ReferralSecret(contentsOfFile: path, keyID: keyID)
        } catch {
            // ReferralKit's reason names the path and what is wrong, never the content.
            throw .invalid(key, error.reason)
        }
    }
}
