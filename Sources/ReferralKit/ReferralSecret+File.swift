import Foundation

extension ReferralSecret {
    /// Reads a secret from a file, dropping surrounding whitespace and newlines (`echo s > file`
    /// adds one, and a secret never ends in whitespace).
    ///
    /// - Parameters:
    ///   - path: The file path.
    ///   - keyID: The key id of the secret, if any.
    /// - Throws: ``ReferralError`` `invalidConfiguration` when the file cannot be read, is not UTF-8
    ///   text or is empty; the reason names the path, never the content.
    public init(contentsOfFile path: String, keyID: String? = nil) throws(ReferralError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReferralError(.invalidConfiguration, reason: "cannot read secret file \(path)")
        }
        // The HMAC key is the secret's UTF-8 bytes; decoding with repair would silently turn
        // invalid bytes into U+FFFD and sign with a different key than the file holds.
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ReferralError(.invalidConfiguration, reason: "secret file \(path) is not UTF-8 text")
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else {
            throw ReferralError(.invalidConfiguration, reason: "secret file \(path) is empty")
        }
        self.init(value, keyID: keyID)
    }
}
