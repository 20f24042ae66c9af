import Foundation
import ReferralKit

extension SandboxConfiguration {
    /// Loads a JSON configuration file.
    ///
    /// ```json
    /// {"port": 8787, "replay_window": 300, "seed": 7,
    ///  "servers": [{"id": "srv_1", "secret_file": "./secret", "kid": "k1"},
    ///              {"id": "srv_2", "secrets": [{"secret": "a", "kid": "k1"}, {"secret": "b", "kid": "k2"}]},
    ///              {"id": "srv_off", "secret": "x", "referrals_enabled": false}],
    ///  "unknown_tokens": ["mmr_gone"], "expired_tokens": ["mmr_old"],
    ///  "faults": {"fail_rate": 0.1, "latency_ms": 50}}
    /// ```
    /// A relative `secret_file` is resolved against the configuration file's directory.
    ///
    /// - Parameter path: The file path.
    /// - Returns: The validated configuration.
    /// - Throws: ``SandboxError`` `invalidConfiguration` naming the offending key.
    public static func load(path: String) throws(SandboxError) -> SandboxConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SandboxError(.invalidConfiguration, reason: "cannot read configuration file \(path)")
        }
        let file: FileConfiguration
        do {
            file = try JSONDecoder().decode(FileConfiguration.self, from: data)
        } catch {
            throw SandboxError(.invalidConfiguration, reason: "configuration file \(path) is invalid: \(error)")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var servers: [Server] = []
        for server in file.servers ?? [] {
            var entries = server.secrets ?? []
            if server.secret != nil || server.secretFile != nil {
                entries.insert(
                    SecretEntry(secret: server.secret, secretFile: server.secretFile, kid: server.kid), at: 0)
            }
            let secrets = try entries.map { entry throws(SandboxError) in
                try entry.resolve(serverID: server.id, directory: directory)
            }
            servers.append(Server(id: server.id, secrets: secrets, referralsEnabled: server.referralsEnabled ?? true))
        }
        let configuration = SandboxConfiguration(
            host: file.host ?? "127.0.0.1",
            port: file.port ?? 8787,
            servers: servers,
            unknownTokens: Set(file.unknownTokens ?? []),
            expiredTokens: Set(file.expiredTokens ?? []),
            faults: file.faults ?? .none,
            replayWindow: file.replayWindow ?? ReferralSignature.defaultReplayWindow,
            seed: file.seed ?? 0x5EED,
            logCapacity: file.logCapacity ?? 10_000
        )
        try configuration.validate()
        return configuration
    }

    /// Reads a secret file with ``ReferralSecret/init(contentsOfFile:keyID:)``.
    ///
    /// - Parameters:
    ///   - path: The file path.
    ///   - keyID: The key id of the secret.
    /// - Returns: The secret.
    /// - Throws: ``SandboxError`` when the file cannot be read or is empty.
    public static func readSecretFile(_ path: String, keyID: String? = nil) throws(SandboxError) -> ReferralSecret {
        do {
            return try ReferralSecret(contentsOfFile: path, keyID: keyID)
        } catch {
            throw SandboxError(.invalidConfiguration, reason: error.reason)
        }
    }
}

/// The JSON configuration file as written; every key is optional and defaults as documented on
/// ``SandboxConfiguration/load(path:)``.
private struct FileConfiguration: Decodable {
    var host: String?
    var port: Int?
    var servers: [ServerEntry]?
    var unknownTokens: [String]?
    var expiredTokens: [String]?
    var faults: SandboxFaults?
    var replayWindow: Int64?
    var seed: UInt64?
    var logCapacity: Int?

    private enum CodingKeys: String, CodingKey {
        case host, port, servers, faults, seed
        case unknownTokens = "unknown_tokens"
        case expiredTokens = "expired_tokens"
        case replayWindow = "replay_window"
        case logCapacity = "log_capacity"
    }
}

/// One `servers[]` entry: an id, its inline or file secret(s) and whether referrals are on.
private struct ServerEntry: Decodable {
    var id: String
    var secret: String?
    var secretFile: String?
    var kid: String?
    var secrets: [SecretEntry]?
    var referralsEnabled: Bool?

    private enum CodingKeys: String, CodingKey {
        case id, secret, kid, secrets
        case secretFile = "secret_file"
        case referralsEnabled = "referrals_enabled"
    }
}

/// One secret of a server: exactly one of `secret` or `secret_file`, with an optional `kid`.
private struct SecretEntry: Decodable {
    var secret: String?
    var secretFile: String?
    var kid: String?

    private enum CodingKeys: String, CodingKey {
        case secret, kid
        case secretFile = "secret_file"
    }

    func resolve(serverID: String, directory: String) throws(SandboxError) -> ReferralSecret {
        switch (self.secret, self.secretFile) {
        case (let secret?, nil):
            return ReferralSecret(secret, keyID: self.kid)
        case (nil, let file?):
            let path = file.hasPrefix("/") ? file : directory + "/" + file
            return try SandboxConfiguration.readSecretFile(path, keyID: self.kid)
        default:
            throw SandboxError(
                .invalidConfiguration,
                reason: "servers['\(serverID)'] needs exactly one of secret or secret_file per secret"
            )
        }
    }
}
