import Crypto

extension ReferralSignature {
    /// The replay window the real endpoint enforces: ±300 s.
    public static let defaultReplayWindow: Int64 = 300

    /// Whether the MAC is `HMAC_SHA256(secret, "<t>.<body>")`, compared in constant time.
    ///
    /// - Parameters:
    ///   - body: The raw body bytes exactly as received.
    ///   - secret: The candidate secret.
    /// - Returns: `true` when the MAC matches.
    public func isValidMAC(for body: some Collection<UInt8>, secret: ReferralSecret) -> Bool {
        secret.withUnsafeValue { key in
            var message = Array("\(self.timestamp).".utf8)
            message.append(contentsOf: body)
            // Constant-time comparison inside swift-crypto: the time taken does not reveal how many
            // leading bytes of a forged MAC were right.
            return HMAC<SHA256>.isValidAuthenticationCode(
                self.mac, authenticating: message, using: SymmetricKey(data: key))
        }
    }

    /// Verifies the MAC and the replay window, as the real endpoint does.
    ///
    /// The MAC is checked first so an attacker learns nothing about the window from a forged MAC.
    ///
    /// - Parameters:
    ///   - body: The raw body bytes exactly as received.
    ///   - secret: The candidate secret.
    ///   - now: The verifier's current unix time.
    ///   - window: The allowed distance between `t` and `now`, in seconds.
    /// - Returns: The verdict.
    public func verify(
        body: some Collection<UInt8>,
        secret: ReferralSecret,
        now: Int64,
        window: Int64 = Self.defaultReplayWindow
    ) -> SignatureVerdict {
        guard self.isValidMAC(for: body, secret: secret) else { return .badSignature }
        let distance = self.timestamp >= now ? self.timestamp - now : now - self.timestamp
        return distance <= window ? .valid : .staleTimestamp
    }
}
