import ReferralKit

// `signature-header`: the bytes are an `X-MMOLove-Signature` value (as a server decodes a header:
// UTF-8, invalid sequences replaced). Invariants beyond "never crashes":
// - a parsed signature has a positive `t`, a 32-byte MAC and a non-empty `kid` when present,
//   and its `headerValue` parses back to the same signature;
// - verifying it against a fixed secret, with the header's own bytes as the body, never
//   crashes, and a forged MAC is never `.valid`;
// - signing that body at the parsed `t` verifies as `.valid` at `t`, and only with the secret.

/// The fixed secret the verifier knows.
let secret = ReferralSecret("whsec_fuzz", keyID: "k1")
/// Another secret, which must never verify a MAC made with ``secret``.
let otherSecret = ReferralSecret("whsec_other")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignatureHeader(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let header = String(decoding: bytes, as: UTF8.self)
    guard let signature = try? ReferralSignature(parsing: header) else { return 0 }
    precondition(signature.timestamp > 0, "t is not positive")
    precondition(signature.mac.count == 32, "the MAC is not 32 bytes")
    precondition(signature.keyID.map { !$0.isEmpty } ?? true, "empty kid")
    guard let again = try? ReferralSignature(parsing: signature.headerValue) else {
        preconditionFailure("headerValue does not parse: \(signature.headerValue)")
    }
    precondition(again == signature, "headerValue parses to another signature")

    // Verification of whatever arrived: never a crash, whatever `t` is (Int64.max included).
    let verdict = signature.verify(body: bytes, secret: secret, now: 1_795_572_000)
    let genuine = ReferralSignature.sign(body: bytes, secret: secret, timestamp: signature.timestamp)
    if signature.mac != genuine.mac {
        precondition(verdict == .badSignature, "a forged MAC verified")
    }
    precondition(genuine.verify(body: bytes, secret: secret, now: signature.timestamp) == .valid)
    precondition(genuine.verify(body: bytes, secret: otherSecret, now: signature.timestamp) == .badSignature)
    precondition(genuine.isValidMAC(for: bytes, secret: secret))
    return 0
}
