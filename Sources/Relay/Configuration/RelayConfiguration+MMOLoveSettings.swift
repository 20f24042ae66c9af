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
            testEvents: try sources.bool(.mmoloveTestEvents, "mmolove.testEvents", default: false),
            secretFiles: servers.files,
            secretPollInterval: try sources.duration(
                .mmoloveSecretPollSeconds,
                "mmolove.secretPollSeconds",
                default: .seconds(5),
                unit: .seconds
            )
        )
    }

    /// Checks that the endpoint is an http(s) URL with a host, and plain http only on loopback
    /// (or when explicitly allowed): a referral secret's signatures must not cross a network in
    /// the clear by accident.
    static func checkEndpoint(_ endpoint: String, key: String, allowInsecure: Bool) throws(ConfigurationError) {
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(),
            let host = url.host(percentEncoded: false), !host.isEmpty
        else {
            throw .invalid(key, "'\(ReferralEndpoint.redacted(endpoint))' is not a URL with a scheme and a host")
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
    /// from `MMOLOVE_REFERRAL_SECRET[_FILE]` / `mmolove.secretFile`) plus `mmolove.servers`, and
    /// the files they came from (read again on rotation).
    private static func loadServers(
        _ sources: ConfigurationSources
    ) throws(ConfigurationError) -> (
        credentials: ReferralCredentials, defaultServerID: String?, files: [SecretFile]
    ) {
        let serverID = sources.value(.mmoloveServerID, "mmolove.serverId")
        var credentials = ReferralCredentials()
        var files: [SecretFile] = []
        var origins: [String: String] = [:]

        if let secret = try self.defaultSecret(sources, serverID: serverID?.text ?? "") {
            guard let serverID, !serverID.text.isEmpty else {
                throw .missing(
                    .mmoloveServerID,
                    "mmolove.serverId",
                    "a referral secret is configured (\(secret.key)) but no server id it signs for"
                )
            }
            credentials[serverID.text] = secret.secret
            if let file = secret.file { files.append(file) }
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
            let serverKeyID = server.keyID?.trimmedForConfiguration.nonEmpty
            let keyIDPath = server.keyIDFile?.trimmedForConfiguration.nonEmpty
            if serverKeyID != nil, keyIDPath != nil {
                throw .invalid("\(prefix).keyIdFile", "set keyId or keyIdFile, not both")
            }
            let file = SecretFile(
                serverID: id,
                path: path,
                keyIDPath: keyIDPath,
                keyID: serverKeyID,
                key: "\(prefix).secretFile",
                keyIDKey: "\(prefix).keyIdFile"
            )
            credentials[id] = try file.read()
            files.append(file)
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
        return (credentials, serverID.flatMap { $0.text.isEmpty ? nil : $0.text }, files)
    }

    /// The default server's secret, if one is configured, with the key that configured it and,
    /// when it came from a file, that file.
    private static func defaultSecret(
        _ sources: ConfigurationSources,
        serverID: String
    ) throws(ConfigurationError) -> (secret: ReferralSecret, key: String, file: SecretFile?)? {
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
        let keyID = sources.value(.mmoloveKeyID, "mmolove.keyId")
        let keyIDFile = sources.value(.mmoloveKeyIDFile, "mmolove.keyIdFile")
        if let keyID, let keyIDFile, !keyID.text.isEmpty, !keyIDFile.text.isEmpty {
            throw ConfigurationError(
                key: "\(keyID.key), \(keyIDFile.key)",
                message: "\(keyID.key) and \(keyIDFile.key) are both set: set only one"
            )
        }
        let path: (String, key: String)?
        if let envFile {
            path = (envFile, fileName)
        } else if let fileValue = sources.file?.scalars["mmolove.secretFile"]?.trimmedForConfiguration.nonEmpty {
            path = (fileValue, "mmolove.secretFile")
        } else {
            path = nil
        }
        guard literal != nil || path != nil else { return nil }
        let file = SecretFile(
            serverID: serverID,
            path: path?.0 ?? "",
            keyIDPath: keyIDFile?.text.nonEmpty,
            keyID: keyID?.text.nonEmpty,
            key: path?.key ?? literalName,
            keyIDKey: keyIDFile?.key
        )
        if let literal {
            // A literal secret cannot change: a key-id file next to it is read once.
            return (ReferralSecret(literal, keyID: try file.readKeyID()), literalName, nil)
        }
        return (try file.read(), file.key, file)
    }
}

extension String {
    /// `nil` when empty.
    var nonEmpty: String? { self.isEmpty ? nil : self }
}
