import ArgumentParser
import ReferralKit

/// The `send` settings read from the environment: never from flags, so a secret stays out of
/// shell history and `ps`.
struct SendEnvironment {
    /// The events URL (`MMOLOVE_ENDPOINT`, default the SDKs').
    var endpoint: String
    /// The server id (`MMOLOVE_SERVER_ID`).
    var serverID: String
    /// The secret (`MMOLOVE_REFERRAL_SECRET` or `MMOLOVE_REFERRAL_SECRET_FILE`, plus `MMOLOVE_KEY_ID`).
    var secret: ReferralSecret

    /// Reads and checks the variables.
    ///
    /// - Parameter environment: The process environment.
    /// - Throws: `ValidationError` naming the missing or conflicting variable (never its value).
    init(_ environment: [String: String]) throws {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        self.endpoint = value("MMOLOVE_ENDPOINT") ?? ReferralClient.defaultEndpoint
        guard let serverID = value("MMOLOVE_SERVER_ID") else {
            throw ValidationError("MMOLOVE_SERVER_ID is not set")
        }
        self.serverID = serverID
        let keyID = value("MMOLOVE_KEY_ID")
        switch (value("MMOLOVE_REFERRAL_SECRET"), value("MMOLOVE_REFERRAL_SECRET_FILE")) {
        case (let secret?, nil):
            self.secret = ReferralSecret(secret, keyID: keyID)
        case (nil, let path?):
            do {
                self.secret = try ReferralSecret(contentsOfFile: path, keyID: keyID)
            } catch {
                throw ValidationError("MMOLOVE_REFERRAL_SECRET_FILE: \(error.reason)")
            }
        case (nil, nil):
            throw ValidationError("set MMOLOVE_REFERRAL_SECRET or MMOLOVE_REFERRAL_SECRET_FILE")
        case (.some, .some):
            throw ValidationError("set only one of MMOLOVE_REFERRAL_SECRET and MMOLOVE_REFERRAL_SECRET_FILE")
        }
    }
}
