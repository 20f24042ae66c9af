import ReferralKit
import Testing

@Suite("ReferralEventEncoder")
struct ReferralEventEncoderTests {
    @Test(arguments: SigningVectors.canonical)
    func reEncodesCanonicalVectorBodiesByteForByte(_ vector: SigningVector) throws {
        let event = try ReferralEventFields.decode(Array(vector.body.utf8)).validated()
        let encoded = event.encoded()
        #expect(encoded.bodyString == vector.body)
        #expect(encoded.body == Array(vector.body.utf8))
    }

    @Test(arguments: SigningVectors.canonical)
    func encodedBytesAreTheSignedBytes(_ vector: SigningVector) throws {
        let event = try ReferralEventFields.decode(Array(vector.body.utf8)).validated()
        let encoded = event.encoded()
        let header = ReferralClient.signReferralBody(
            encoded.body,
            secret: ReferralSecret(vector.secret, keyID: vector.kid),
            timestamp: vector.t
        )
        #expect(header == vector.header)
    }

    @Test func escapesFromFieldValuesAsTheVectorDoes() throws {
        let vector = try #require(SigningVectors.all.first { $0.name == "escaped-slash-and-newline" })
        let event = try ReferralEvent(
            kind: .registered,
            token: "a/b\\nc",
            serverID: "s\\\\1",
            refereeIdentity: "x\ty",
            serverEventID: "reg-1",
            ts: 1
        )
        #expect(event.encoded().bodyString == vector.body)
        #expect(event.encoded().bodyString.contains("a/b"), "'/' must not be escaped")
    }

    @Test func keepsNonASCIIRawFromFieldValues() throws {
        let vector = try #require(SigningVectors.all.first { $0.name == "unicode-identity" })
        let event = try ReferralEvent(
            kind: .registered,
            token: "t0k",
            serverID: "s1",
            refereeIdentity: "Jörg \"the\" Ångström 🐉",
            serverEventID: "reg-jörg",
            ts: 1_700_000_000
        )
        #expect(event.encoded().body == Array(vector.body.utf8))
    }

    @Test func writesControlCharactersInShortOrUnicodeForm() throws {
        let event = try ReferralEvent(
            kind: .qualified,
            token: "a\u{08}b\u{0C}c\rd\u{01}e\u{1F}f",
            serverID: "s",
            serverEventID: "q"
        )
        #expect(
            event.encoded().bodyString
                == #"{"event":"qualified","token":"a\bb\fc\rd\u0001e\u001ff","server_id":"s","server_event_id":"q"}"#
        )
    }

    @Test func omitsAbsentOptionalsAndFalseTest() throws {
        let event = try ReferralEvent(kind: .qualified, token: "t", serverID: "s", serverEventID: "q", test: false)
        #expect(
            event.encoded().bodyString == #"{"event":"qualified","token":"t","server_id":"s","server_event_id":"q"}"#)
        let dry = try ReferralEvent(kind: .qualified, token: "t", serverID: "s", serverEventID: "q", ts: 5, test: true)
        #expect(
            dry.encoded().bodyString
                == #"{"event":"qualified","token":"t","server_id":"s","server_event_id":"q","ts":5,"test":true}"#
        )
    }
}
