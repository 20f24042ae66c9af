import ReferralKit
import Testing

@Suite("ReferralCredentials")
struct ReferralCredentialsTests {
    @Test func mapsEachServerToItsOwnSecret() throws {
        var credentials = ReferralCredentials(["srv_1": ReferralSecret("a"), "srv_2": ReferralSecret("b", keyID: "k2")])
        #expect(try credentials.secret(for: "srv_2").keyID == "k2")
        #expect(credentials.serverIDs == ["srv_1", "srv_2"])
        credentials["srv_3"] = ReferralSecret("c")
        #expect(credentials["srv_3"] == ReferralSecret("c"))
    }

    @Test func unknownServerThrowsWithoutSecrets() {
        let credentials = ReferralCredentials(serverID: "srv_1", secret: ReferralSecret("hidden-value"))
        #expect {
            try credentials.secret(for: "srv_9")
        } throws: { error in
            let error = error as? ReferralError
            return error?.code == .unknownServer && error?.reason.contains("srv_9") == true
                && error?.description.contains("hidden-value") == false
        }
    }
}
