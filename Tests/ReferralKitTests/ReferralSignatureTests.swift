import ReferralKit
import Testing

@Suite("ReferralSignature")
struct ReferralSignatureTests {
    @Test(arguments: SigningVectors.all)
    func reproducesVectorMACAndHeader(_ vector: SigningVector) {
        let secret = ReferralSecret(vector.secret, keyID: vector.kid)
        let signature = ReferralSignature.sign(body: Array(vector.body.utf8), secret: secret, timestamp: vector.t)
        #expect(signature.hexMAC == vector.mac)
        #expect(signature.headerValue == vector.header)
    }

    @Test(arguments: SigningVectors.all)
    func parsesVectorHeaderBackToItsParts(_ vector: SigningVector) throws {
        let parsed = try ReferralSignature(parsing: vector.header)
        #expect(parsed.timestamp == vector.t)
        #expect(parsed.hexMAC == vector.mac)
        #expect(parsed.keyID == vector.kid)
        #expect(parsed.headerValue == vector.header)
    }

    @Test(arguments: SigningVectors.all)
    func verifiesVectorWithinWindow(_ vector: SigningVector) throws {
        let parsed = try ReferralSignature(parsing: vector.header)
        let secret = ReferralSecret(vector.secret, keyID: vector.kid)
        #expect(parsed.verify(body: Array(vector.body.utf8), secret: secret, now: vector.t + 300) == .valid)
        #expect(parsed.verify(body: Array(vector.body.utf8), secret: secret, now: vector.t - 300) == .valid)
    }

    /// Signing uses a key schedule prepared once per secret; verification uses swift-crypto's
    /// `HMAC<SHA256>`. They agree for keys around the 64-byte block (shorter, equal, longer: the
    /// long key is hashed first), for an empty body and for a body without contiguous storage.
    @Test(arguments: [0, 1, 63, 64, 65, 129])
    func signingAgreesWithSwiftCryptosHMACForEveryKeyLength(_ keyLength: Int) throws {
        let secret = ReferralSecret(String(repeating: "k", count: keyLength), keyID: nil)
        let bodies: [[UInt8]] = [[], Array(#"{"event":"registered"}"#.utf8), Array(repeating: 0x61, count: 1_000)]
        for body in bodies {
            let contiguous = ReferralSignature.sign(body: body, secret: secret, timestamp: 1_700_000_000)
            let lazy = ReferralSignature.sign(body: body.lazy.map { $0 }, secret: secret, timestamp: 1_700_000_000)
            #expect(contiguous == lazy)
            let parsed = try ReferralSignature(parsing: contiguous.headerValue)
            #expect(parsed.verify(body: body, secret: secret, now: 1_700_000_000) == .valid, "key \(keyLength)")
            let other = ReferralSecret(String(repeating: "j", count: keyLength), keyID: nil)
            if keyLength > 0 {
                #expect(parsed.verify(body: body, secret: other, now: 1_700_000_000) != .valid)
            }
        }
    }

    @Test func parserToleratesFieldOrderAndSpaces() throws {
        let mac = String(repeating: "ab", count: 32)
        let parsed = try ReferralSignature(parsing: "kid=k2, v1=sha256=\(mac) ,t=42")
        #expect(parsed.timestamp == 42)
        #expect(parsed.keyID == "k2")
        #expect(parsed.hexMAC == mac)
    }

    @Test(arguments: [
        "",
        "t=1",
        "v1=sha256=" + String(repeating: "0", count: 64),
        "t=1,v1=" + String(repeating: "0", count: 64),
        "t=1,v1=sha1=" + String(repeating: "0", count: 64),
        "t=1,v1=sha256=" + String(repeating: "0", count: 63),
        "t=1,v1=sha256=" + String(repeating: "g", count: 64),
        "t=0,v1=sha256=" + String(repeating: "0", count: 64),
        "t=-5,v1=sha256=" + String(repeating: "0", count: 64),
        "t=1.5,v1=sha256=" + String(repeating: "0", count: 64),
        "t=1,t=2,v1=sha256=" + String(repeating: "0", count: 64),
        "t=1,v1=sha256=" + String(repeating: "0", count: 64) + ",kid=",
        "t=1;v1=sha256=" + String(repeating: "0", count: 64),
        "t=1,v1=sha256=" + String(repeating: "AB", count: 32),
        "t=01,v1=sha256=" + String(repeating: "0", count: 64),
        "t=+1,v1=sha256=" + String(repeating: "0", count: 64),
        "t=99999999999999999999,v1=sha256=" + String(repeating: "0", count: 64),
    ])
    func parserRejectsMalformedValues(_ header: String) {
        #expect(throws: ReferralError.self) { try ReferralSignature(parsing: header) }
    }

    @Test func verifierRejectsTrailingNewlineAndReserialisedBody() throws {
        let vector = try #require(SigningVectors.all.first { $0.name == "registered-basic" })
        let reserialised = try #require(SigningVectors.all.first { $0.name == "whitespace-matters" })
        let secret = ReferralSecret(vector.secret)
        let parsed = try ReferralSignature(parsing: vector.header)
        #expect(parsed.verify(body: Array((vector.body + "\n").utf8), secret: secret, now: vector.t) == .badSignature)
        #expect(parsed.verify(body: Array(reserialised.body.utf8), secret: secret, now: vector.t) == .badSignature)
        #expect(
            parsed.verify(body: Array(vector.body.utf8), secret: ReferralSecret("other"), now: vector.t)
                == .badSignature)
    }

    @Test func verifierJudgesTheReplayWindowBothWays() throws {
        let vector = try #require(SigningVectors.all.first { $0.name == "qualified-basic" })
        let parsed = try ReferralSignature(parsing: vector.header)
        let body = Array(vector.body.utf8)
        let secret = ReferralSecret(vector.secret)
        #expect(parsed.verify(body: body, secret: secret, now: vector.t + 301) == .staleTimestamp)
        #expect(parsed.verify(body: body, secret: secret, now: vector.t - 301) == .staleTimestamp)
        #expect(parsed.verify(body: body, secret: secret, now: vector.t + 301, window: 400) == .valid)
    }

    @Test func flippedMACBitFailsVerification() throws {
        let vector = try #require(SigningVectors.all.first)
        var mac = try ReferralSignature(parsing: vector.header).mac
        mac[31] ^= 0x01
        let forged = ReferralSignature(timestamp: vector.t, mac: mac)
        #expect(!forged.isValidMAC(for: Array(vector.body.utf8), secret: ReferralSecret(vector.secret)))
    }
}
