import Testing

@testable import Relay

/// The one-pass member reader under the input decoder, with the edges `JSONDecoder` handled:
/// escapes in names and values, surrogate pairs, duplicated names, nested values skipped.
@Suite struct JSONMembersTests {
    static let wanted: Set<String> = ["account_id", "mmref", "milestone"]

    static func read(_ json: String) throws -> [String: JSONMembers.Value] {
        try JSONMembers.read(Array(json.utf8), wanted: Self.wanted).values
    }

    @Test func readsTheWantedMembersAndSkipsEverythingElse() throws {
        let json =
            #" { "x" : {"account_id": "inner", "y": [1, {"z": "}"}, "]"]}, "account_id" : "a" , "n": -1.5e3,"#
            + #" "b": true, "mmref": null, "milestone": 10, "s": "\"}" } "#
        #expect(try Self.read(json) == ["account_id": .string("a"), "mmref": .null, "milestone": .other])
    }

    @Test func unescapesNamesAndValues() throws {
        let json = #"{"account\u005fid":"caf\u00e9 \ud83c\udfae \"q\" \\ \/ \n","mmref":"plain é"}"#
        #expect(try Self.read(json) == ["account_id": .string("café 🎮 \"q\" \\ / \n"), "mmref": .string("plain é")])
    }

    @Test func theFirstOfDuplicatedNamesWins() throws {
        #expect(try Self.read(#"{"account_id":"first","account_id":"second"}"#) == ["account_id": .string("first")])
    }

    @Test func anUnpairedSurrogateIsRefusedOnlyWhereItIsRead() throws {
        #expect(try Self.read(#"{"account_id":"a\ud800b"}"#) == ["account_id": .invalidString])
        #expect(try Self.read(#"{"other":"a\udc00","account_id":"a"}"#) == ["account_id": .string("a")])
        #expect(throws: JSONMembers.Failure.invalidName) { try Self.read(#"{"a\ud800":1}"#) }
    }

    @Test func aValueThatIsNotAnObjectHasNoMembers() {
        for json in ["[1]", "\"account_id\"", "12", "null"] {
            #expect(throws: JSONMembers.Failure.notAnObject) { try Self.read(json) }
        }
    }
}
