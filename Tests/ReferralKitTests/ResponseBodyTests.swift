import Testing

@testable import ReferralKit

/// MMOLove's answers are read without `JSONDecoder`, exactly as `JSONDecoder` reads them; any
/// other body is left to it.
@Suite struct ResponseBodyTests {
    /// Flat objects of strings and literals: read directly, as the decoder reads them.
    @Test(arguments: [
        #"{"ok":true,"referral_id":"r_1","state":"registered"}"#,
        #"{"ok":true,"duplicate":true}"#,
        #"{"ok":true,"ignored":"first_touch_conflict"}"#,
        #"{"ok":true,"test":true}"#,
        #"{"ok":false,"error":"bad_signature"}"#,
        #"{"ok":false,"error":"unknown_token"}"#,
        " {\n\t\"ok\" : true ,\r\n \"state\":\"qualified\" } \n",
        #"{}"#,
        #"{"ok":null,"state":null,"other":"x"}"#,
        #"{"ok":"true","state":true,"duplicate":"yes","error":false}"#,
        #"{"state":"qualifié","referral_id":"€ 🎮"}"#,
    ])
    func flatAnswersAreReadAsTheDecoderReadsThem(_ text: String) throws {
        let bytes = Array(text.utf8)
        let flat = try #require(ResponseBody.flat(bytes), "read directly")
        #expect(flat == ResponseBody.decoded(bytes))
        #expect(Self.stringBytes(flat) == Self.stringBytes(ResponseBody.decoded(bytes)), "byte for byte")
        #expect(flat.isObject)
        #expect(ResponseBody(bytes) == flat)
    }

    /// Anything else goes to the decoder, and the classifier gets what it answers.
    @Test(arguments: [
        #"{"ok":true,"state":"a\"b"}"#,
        #"{"ok":true,"count":1}"#,
        #"{"ok":true,"nested":{"a":"b"}}"#,
        #"{"ok":true,"list":[]}"#,
        #"{"ok":true,"ok":false}"#,
        #"{"ok":true,}"#,
        #"{"ok":truex}"#,
        #"{"ok":tru}"#,
        #"{"ok":true} x"#,
        #"{"ok":true"#,
        "{\"state\":\"a\u{1}b\"}",
        #"[{"ok":true}]"#,
        #""ok""#,
        "<html>bad gateway</html>",
        "",
    ])
    func otherBodiesAreLeftToTheDecoder(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(ResponseBody.flat(bytes) == nil)
        #expect(ResponseBody(bytes) == ResponseBody.decoded(bytes))
    }

    @Test func invalidUTF8IsLeftToTheDecoder() {
        let bytes = Array(#"{"state":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(ResponseBody.flat(bytes) == nil)
        #expect(ResponseBody(bytes) == ResponseBody.decoded(bytes))
        #expect(ResponseBody(bytes).state == nil)
    }

    /// A string that cannot be read ends the reading: the bytes after it are not tried as a
    /// literal (`{"ok":"\xFF"true}` read as `ok: true` before review; the decoder refuses it).
    @Test(arguments: [
        Array(#"{"ok":""#.utf8) + [0xFF] + Array(#""true}"#.utf8),
        Array(#"{"error":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""null}"#.utf8),
        Array(#"{"ok":"a\"false}"#.utf8),
    ])
    func aStringThatCannotBeReadIsNotFollowedByALiteral(_ bytes: [UInt8]) {
        #expect(ResponseBody.flat(bytes) == nil)
        #expect(ResponseBody(bytes) == ResponseBody.decoded(bytes))
        #expect(!ResponseBody(bytes).isObject)
    }

    @Test func moreMembersThanMMOLoveSendsAreLeftToTheDecoder() {
        let members = (0...FlatJSONObject.memberLimit).map { #""m\#($0)":true"# }
        let within = Array(("{" + members.dropLast().joined(separator: ",") + "}").utf8)
        let beyond = Array(("{" + members.joined(separator: ",") + "}").utf8)
        #expect(ResponseBody.flat(within) != nil)
        #expect(ResponseBody.flat(beyond) == nil)
        #expect(ResponseBody(beyond) == ResponseBody.decoded(beyond))
    }

    /// The string fields' bytes (`==` on `String` compares canonical equivalence).
    static func stringBytes(_ body: ResponseBody) -> [[UInt8]?] {
        [body.referralID, body.state, body.ignored, body.error].map { $0.map { Array($0.utf8) } }
    }
}
