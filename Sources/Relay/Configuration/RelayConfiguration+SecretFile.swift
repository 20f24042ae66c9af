import Foundation
import ReferralKit

extension RelayConfiguration {
    /// Where one server's referral secret, and optionally its key id, is read from: kept after
    /// start-up so the files can be read again when a rotation changes them (``SecretFileWatcher``).
    public struct SecretFile: Sendable, Hashable {
        /// The server the secret signs for.
        public var serverID: String
        /// The secret file.
        public var path: String
        /// A file holding the key id, read with the secret; `nil` when the key id is fixed.
        public var keyIDPath: String?
        /// The fixed key id when there is no key-id file (`nil`: no `kid=`).
        public var keyID: String?
        /// The setting that named `path` (`MMOLOVE_REFERRAL_SECRET_FILE`,
        /// `mmolove.servers[1].secretFile`), for messages.
        public var key: String
        /// The setting that named `keyIDPath`, for messages.
        public var keyIDKey: String?

        /// Creates a source.
        ///
        /// - Parameters:
        ///   - serverID: The server.
        ///   - path: The secret file.
        ///   - keyIDPath: A key-id file, if any.
        ///   - keyID: The fixed key id, used when there is no key-id file.
        ///   - key: The setting naming `path`.
        ///   - keyIDKey: The setting naming `keyIDPath`.
        public init(
            serverID: String,
            path: String,
            keyIDPath: String? = nil,
            keyID: String? = nil,
            key: String,
            keyIDKey: String? = nil
        ) {
            self.serverID = serverID
            self.path = path
            self.keyIDPath = keyIDPath
            self.keyID = keyID
            self.key = key
            self.keyIDKey = keyIDKey
        }

        /// Reads the secret and the key id as they are now. Surrounding whitespace is trimmed;
        /// both must be non-empty UTF-8.
        ///
        /// - Throws: ``ConfigurationError`` naming the setting and the path, never the content.
        public func read() throws(ConfigurationError) -> ReferralSecret {
            let keyID = try self.readKeyID()
            do {
                return try ReferralSecret(contentsOfFile: self.path, keyID: keyID)
            } catch {
                // ReferralKit's reason names the path and what is wrong, never the content.
                throw .invalid(self.key, error.reason)
            }
        }

        /// The key id: the key-id file's content when there is one, else the fixed one.
        ///
        /// - Throws: ``ConfigurationError`` naming the setting and the path.
        func readKeyID() throws(ConfigurationError) -> String? {
            guard let path = self.keyIDPath else { return self.keyID }
            return try Self.readKeyID(path: path, key: self.keyIDKey ?? path)
        }

        private static func readKeyID(path: String, key: String) throws(ConfigurationError) -> String {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .invalid(key, "cannot read key id file \(path)")
            }
            guard let text = String(validating: data, as: UTF8.self)?.trimmedForConfiguration else {
                throw .invalid(key, "key id file \(path) is not UTF-8 text")
            }
            guard !text.isEmpty else {
                throw .invalid(key, "key id file \(path) is empty")
            }
            return text
        }
    }
}
