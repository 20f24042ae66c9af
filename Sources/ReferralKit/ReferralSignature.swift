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
    ///
    /// Written into one string of the right size: built by interpolation, it took four
    /// allocations per request (and ``hex(_:)`` three more).
    public var headerValue: String {
        let keyID = self.keyID?.utf8
        // "t=" + up to 20 digits + ",v1=sha256=" + the hex + ",kid=" + the key id.
        let capacity = 2 + 20 + 11 + 2 * self.mac.count + (keyID.map { 5 + $0.count } ?? 0)
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var count = 0
            func put(_ text: some Sequence<UInt8>) {
                for byte in text {
                    buffer[count] = byte
                    count += 1
                }
            }
            put("t=".utf8)
            put(String(self.timestamp).utf8)
            put(",v1=sha256=".utf8)
            count = Self.writeHex(self.mac, into: buffer, at: count)
            if let keyID {
                put(",kid=".utf8)
                put(keyID)
            }
            return count
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { Self.writeHex(bytes, into: $0, at: 0) }
    }

    /// Writes `bytes` as lowercase hex into `buffer` from `start`; returns the index after it.
    private static func writeHex(_ bytes: [UInt8], into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int)
        -> Int
    {
        var index = start
        for byte in bytes {
            buffer[index] = Self.hexDigit(byte >> 4)
            buffer[index + 1] = Self.hexDigit(byte & 0x0F)
            index += 2
        }
        return index
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
