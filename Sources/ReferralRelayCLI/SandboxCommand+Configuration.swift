import ArgumentParser
import ReferralKit
import ReferralSandbox

extension SandboxCommand {
    /// Builds the configuration: the file (if any), then the flags on top of it.
    ///
    /// - Returns: A validated configuration.
    /// - Throws: `ValidationError` naming the offending flag or key.
    func makeConfiguration() throws -> SandboxConfiguration {
        var configuration: SandboxConfiguration
        do {
            configuration =
                try self.config.map { path throws(SandboxError) in try SandboxConfiguration.load(path: path) }
                ?? SandboxConfiguration(servers: [])
        } catch {
            throw ValidationError(error.reason)
        }
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        switch (self.serverID, self.secretFile) {
        case (let serverID?, let secretFile?):
            let secret: ReferralSecret
            do {
                secret = try ReferralSecret(contentsOfFile: secretFile, keyID: self.keyID)
            } catch {
                throw ValidationError("--secret-file: \(error.reason)")
            }
            configuration.servers.removeAll { $0.id == serverID }
            configuration.servers.append(
                .init(id: serverID, secrets: [secret], referralsEnabled: !self.referralsDisabled)
            )
        case (nil, nil):
            break
        default:
            throw ValidationError("--server-id and --secret-file go together")
        }
        guard !configuration.servers.isEmpty else {
            throw ValidationError("no server configured: pass --server-id and --secret-file, or --config")
        }
        configuration.unknownTokens.formUnion(self.unknownToken)
        configuration.expiredTokens.formUnion(self.expiredToken)
        if let failRate { configuration.faults.failRate = failRate }
        if let failFirst { configuration.faults.failFirst = failFirst }
        if let failStatus { configuration.faults.failStatus = failStatus }
        if let latencyMs { configuration.faults.latencyMilliseconds = latencyMs }
        if let dropRate { configuration.faults.dropRate = dropRate }
        if let dropFirst { configuration.faults.dropFirst = dropFirst }
        if let throttleStatus { configuration.faults.throttleStatus = throttleStatus }
        if let throttleRate { configuration.faults.throttleRate = throttleRate }
        if let throttleFirst { configuration.faults.throttleFirst = throttleFirst }
        if let retryAfter { configuration.faults.retryAfter = retryAfter }
        if let maxConcurrent { configuration.faults.maxConcurrent = maxConcurrent }
        if let seed { configuration.seed = seed }
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.reason)
        }
        return configuration
    }
}
