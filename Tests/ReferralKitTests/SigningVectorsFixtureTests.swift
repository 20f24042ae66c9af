import Foundation
import Testing

@Suite("Signing vector fixture")
struct SigningVectorsFixtureTests {
    @Test func vectorFileIsComplete() {
        #expect(SigningVectors.all.count == 8)
        #expect(SigningVectors.canonical.count == 7)
    }

    @Test func fixtureCopyIsIdenticalToSharedTestdata() throws {
        guard FileManager.default.fileExists(atPath: SigningVectors.sharedURL.path) else {
            // Only the monorepo checkout has ../shared; a standalone clone relies on the copy.
            return
        }
        let shared = try Data(contentsOf: SigningVectors.sharedURL)
        let copy = try Data(contentsOf: SigningVectors.fixtureURL)
        #expect(shared == copy, "Tests/ReferralKitTests/Fixtures/signing-vectors.json drifted from ../shared")
    }
}
