import Foundation

extension ReferralSecret {
    /// Reads a secret from a file, dropping surrounding whitespace and newlines (`echo s > file`
    /// adds one, and a secret never ends in whitespace).
    ///
    /// - Parameters:
    ///   - path: The file path.
    ///   - keyID: The key id of the secret, if any.
    /// - Throws: ``ReferralError`` `invalidConfiguration` when the file cannot be read or is empty;
    ///   the reason names the path, never the content.
    public init(contentsOfFile path: String, keyID: String? = nil) throws(ReferralError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReferralError(.invalidConfiguration, reason: "cannot read secret file \(path)")
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else {
            throw ReferralError(.invalidConfiguration, reason: "secret file \(path) is empty")
        }
        self.init(value, keyID: keyID)
    }
}
