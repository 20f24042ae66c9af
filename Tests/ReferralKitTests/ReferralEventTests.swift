import ReferralKit
import Testing

@Suite("ReferralEvent")
struct ReferralEventTests {
    @Test func trimsEveryStringField() throws {
        let event = try ReferralEvent(
            kind: .registered,
            token: "  mmr_1\n",
            serverID: "\tsrv ",
            refereeIdentity: " p-1 ",
            serverEventID: " reg-1 "
        )
        #expect(event.token == "mmr_1")
        #expect(event.serverID == "srv")
        #expect(event.refereeIdentity == "p-1")
        #expect(event.serverEventID == "reg-1")
    }

    /// Values with printable ASCII at both ends are taken as they are; any other end goes
    /// through the Unicode whitespace rules.
    @Test(arguments: [
        ("mmr_1", "mmr_1"), ("a b", "a b"), ("x", "x"), ("\u{3000}mmr_2\u{00A0}", "mmr_2"),
        ("mmr_3\u{85}", "mmr_3"), ("\u{2003}\tmmr_4", "mmr_4"), ("mmr_é", "mmr_é"),
        ("\u{7F}mmr\u{7F}", "\u{7F}mmr\u{7F}"),
        ("\u{00A0}\u{3000}", ""),
    ])
    func trimsUnicodeWhitespaceAtEitherEnd(_ value: String, _ trimmed: String) throws {
        if trimmed.isEmpty {
            #expect(throws: ReferralError.self) {
                try ReferralEvent(kind: .qualified, token: value, serverID: "s", serverEventID: "e")
            }
        } else {
            let event = try ReferralEvent(kind: .qualified, token: value, serverID: "s", serverEventID: "e")
            #expect(event.token == trimmed)
        }
    }

    @Test(arguments: [
        ("token", "   ", "s", "e"),
        ("server_id", "t", "", "e"),
        ("server_event_id", "t", "s", " \n "),
    ])
    func rejectsEmptyRequiredFieldNamingIt(_ field: String, _ token: String, _ server: String, _ eventID: String) {
        #expect {
            try ReferralEvent(kind: .qualified, token: token, serverID: server, serverEventID: eventID)
        } throws: { error in
            (error as? ReferralError)?.reason == "missing field: \(field)"
                && (error as? ReferralError)?.code == .invalidEvent
        }
    }

    @Test(arguments: [nil, "", "   "] as [String?])
    func registeredRequiresRefereeIdentity(_ identity: String?) {
        #expect {
            try ReferralEvent(
                kind: .registered, token: "t", serverID: "s", refereeIdentity: identity, serverEventID: "e")
        } throws: { error in
            (error as? ReferralError)?.reason == "missing field: referee_identity"
        }
    }

    @Test func qualifiedDoesNotNeedRefereeIdentityAndDropsAnEmptyOne() throws {
        let event = try ReferralEvent(
            kind: .qualified, token: "t", serverID: "s", refereeIdentity: " ", serverEventID: "e")
        #expect(event.refereeIdentity == nil)
    }

    @Test func rejectsNegativeTimestamp() {
        #expect(throws: ReferralError.self) {
            try ReferralEvent(kind: .qualified, token: "t", serverID: "s", serverEventID: "e", ts: -1)
        }
    }
}
