import Crypto

/// The value of the `X-MMOLove-Signature` header: `t=<t>,v1=sha256=<hex>[,kid=<kid>]`.
///
/// `mac` is `HMAC_SHA256(secret, "<t>.<rawBody>")`, rendered as lowercase hex in the header.
public struct ReferralSignature: Sendable, Hashable {
    /// The header name.
    public static let headerName = "X-MMOLove-Signature"

    /// The signing time, unix seconds (positive).
    public let timestamp: Int64
    /// The raw 32-byte MAC.
    public let mac: [UInt8]
    /// The key id of the secret that signed, if any.
    public let keyID: String?

    /// Creates a signature from its parts.
    ///
    /// - Parameters:
    ///   - timestamp: Unix seconds.
    ///   - mac: The MAC bytes.
    ///   - keyID: The key id to append as `kid=`.
    public init(timestamp: Int64, mac: [UInt8], keyID: String? = nil) {
        self.timestamp = timestamp
        self.mac = mac
        self.keyID = keyID
    }

    /// Signs `body` at time `timestamp` with `secret`.
    ///
    /// - Parameters:
    ///   - body: The exact body bytes that will be sent.
    ///   - secret: The server's secret; its key id goes into the header.
    ///   - timestamp: The signing time `t`, unix seconds.
    /// - Returns: The signature; render it with ``headerValue``.
    public static func sign(body: some Collection<UInt8>, secret: ReferralSecret, timestamp: Int64) -> Self {
        let mac = Self.computeMAC(body: body, secret: secret, timestamp: timestamp)
        return Self(timestamp: timestamp, mac: mac, keyID: secret.keyID)
    }

    /// `HMAC_SHA256(secret, "<t>.<body>")`.
    static func computeMAC(body: some Collection<UInt8>, secret: ReferralSecret, timestamp: Int64) -> [UInt8] {
        // A short string: its UTF-8 is stored inline, no allocation.
        var prefix = "\(timestamp)."
        return prefix.withUTF8 { prefix in
            let mac = body.withContiguousStorageIfAvailable { body in
                secret.keySchedule.mac(prefix: UnsafeRawBufferPointer(prefix), body: UnsafeRawBufferPointer(body))
            }
            if let mac { return mac }
            return Array(body).withUnsafeBytes {
                secret.keySchedule.mac(prefix: UnsafeRawBufferPointer(prefix), body: $0)
            }
        }
    }

    /// The MAC as lowercase hex.
    public var hexMAC: String { Self.hex(self.mac) }

    /// The header value: `t=<t>,v1=sha256=<hex>` plus `,kid=<kid>` when there is a key id.
    public var headerValue: String {
        var value = "t=\(self.timestamp),v1=sha256=\(self.hexMAC)"
        if let keyID = self.keyID { value += ",kid=\(keyID)" }
        return value
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
