import Crypto

/// HMAC-SHA256 with its key's two padded blocks hashed once, when the secret is created.
///
/// Signing built an `HMAC<SHA256>` per request: a `SymmetricKey` copy of the secret, the key's
/// padding and two block hashes, and generic calls the compiler could not specialise across
/// the Crypto module (the runtime's generic-metadata lookups were a quarter of the signing's
/// samples). Here a request copies the two prepared SHA-256 states (copy-on-write: each
/// copy's first update clones the context) and hashes only its own bytes. RFC 2104:
/// `H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ message))`, the key hashed first when longer than a block.
///
/// Holds key-derived state: it is never printed (``ReferralSecret`` shows `<redacted>` and
/// hides it from `Mirror`).
final class HMACKeySchedule: @unchecked Sendable {
    // Immutable after init; copies are mutated, never these (their contexts are only read,
    // when a copy clones them), so sharing them between threads is safe.
    private let inner: SHA256
    private let outer: SHA256

    /// Prepares the schedule of `key`.
    init(key: [UInt8]) {
        let blockSize = 64
        var block = key.count > blockSize ? Array(SHA256.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        var inner = SHA256()
        var outer = SHA256()
        (block.map { $0 ^ 0x36 }).withUnsafeBytes { inner.update(bufferPointer: $0) }
        (block.map { $0 ^ 0x5c }).withUnsafeBytes { outer.update(bufferPointer: $0) }
        for index in block.indices { block[index] = 0 }
        self.inner = inner
        self.outer = outer
    }

    /// The MAC of `prefix` followed by `body`.
    func mac(prefix: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer) -> [UInt8] {
        var inner = self.inner
        inner.update(bufferPointer: prefix)
        inner.update(bufferPointer: body)
        let innerDigest = inner.finalize()
        var outer = self.outer
        innerDigest.withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize().withUnsafeBytes { Array($0) }
    }
}
