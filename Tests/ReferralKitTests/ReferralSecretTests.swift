import Foundation
import ReferralKit
import Testing

@Suite("ReferralSecret")
struct ReferralSecretTests {
    private let value = "whsec_super_secret_value"

    @Test func neverPrintsItsValue() throws {
        let secret = ReferralSecret(self.value, keyID: "k2")
        var dumped = ""
        dump(secret, to: &dumped)
        let mirrored = Mirror(reflecting: secret).children.map { "\($0.label ?? ""):\($0.value)" }.joined()
        let encoded = String(decoding: try JSONEncoder().encode(secret), as: UTF8.self)
        let credentials = ReferralCredentials(serverID: "srv", secret: secret)
        var dumpedCredentials = ""
        dump(credentials, to: &dumpedCredentials)
        let renderings = [
            secret.description, secret.debugDescription, "\(secret)", String(reflecting: secret),
            String(describing: [secret]), dumped, mirrored, encoded, "\(credentials)", dumpedCredentials,
        ]
        for rendering in renderings {
            #expect(!rendering.contains(self.value), "leaked in: \(rendering)")
        }
        #expect(secret.description.contains("<redacted>"))
        #expect(encoded.contains("<redacted>"))
        #expect(dumped.contains("<redacted>"))
    }

    @Test func keepsTheValueUsableForSigning() {
        let secret = ReferralSecret(self.value)
        #expect(secret.withUnsafeValue { $0 } == Array(self.value.utf8))
        #expect(!secret.isEmpty)
        #expect(ReferralSecret("").isEmpty)
    }

    @Test func readsAFileTrimmingTheNewlineAndNeverQuotesItInErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("secret")
        try Data("\(self.value)\n".utf8).write(to: file)
        let secret = try ReferralSecret(contentsOfFile: file.path, keyID: "k1")
        #expect(secret == ReferralSecret(self.value, keyID: "k1"))

        let binary = directory.appendingPathComponent("binary")
        try Data([0x77, 0x68, 0xFF, 0xFE, 0x0A]).write(to: binary)
        #expect {
            try ReferralSecret(contentsOfFile: binary.path)
        } throws: { error in
            (error as? ReferralError)?.reason == "secret file \(binary.path) is not UTF-8 text"
        }

        let empty = directory.appendingPathComponent("empty")
        try Data(" \n".utf8).write(to: empty)
        #expect(throws: ReferralError.self) { try ReferralSecret(contentsOfFile: empty.path) }
        #expect(throws: ReferralError.self) {
            try ReferralSecret(contentsOfFile: directory.appendingPathComponent("missing").path)
        }
    }
}
