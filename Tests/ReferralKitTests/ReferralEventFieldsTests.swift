import ReferralKit
import Testing

@Suite("ReferralEventFields")
struct ReferralEventFieldsTests {
    private func reason(_ body: String) -> String? {
        do {
            _ = try ReferralEventFields.decode(Array(body.utf8)).validated()
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func acceptsUnknownExtraFields() throws {
        let event = try ReferralEventFields.decode(
            Array(#"{"event":"qualified","token":"t","server_id":"s","server_event_id":"q","extra":[1,{"a":2}]}"#.utf8)
        ).validated()
        #expect(event.kind == .qualified)
    }

    @Test func namesContractErrors() {
        #expect(reason("{not json") == "body is not valid JSON")
        #expect(reason("[1,2]") == "body is not valid JSON")
        #expect(reason(#"{"token":"t","server_id":"s","server_event_id":"q"}"#) == "missing field: event")
        #expect(reason(#"{"event":"clicked","token":"t","server_id":"s","server_event_id":"q"}"#) == "invalid event")
        #expect(reason(#"{"event":"qualified","server_id":"s","server_event_id":"q"}"#) == "missing field: token")
        #expect(
            reason(#"{"event":"registered","token":"t","server_id":"s","server_event_id":"q"}"#)
                == "missing field: referee_identity"
        )
        #expect(
            reason(#"{"event":"qualified","token":"t","server_id":"s","server_event_id":"q","test":"yes"}"#)
                == "invalid field: test"
        )
        #expect(
            reason(#"{"event":"qualified","token":"t","server_id":"s","server_event_id":"q","ts":"1"}"#)
                == "invalid field: ts"
        )
        #expect(
            reason(#"{"event":"qualified","token":7,"server_id":"s","server_event_id":"q"}"#) == "invalid field: token")
    }

    @Test func keepsRawFieldsBeforeValidation() throws {
        let fields = try ReferralEventFields.decode(Array(#"{"server_id":" srv_1 ","ts":12.0,"test":true}"#.utf8))
        #expect(fields.serverID == " srv_1 ")
        #expect(fields.ts == 12)
        #expect(fields.test == true)
        #expect(fields.event == nil)
    }
}
