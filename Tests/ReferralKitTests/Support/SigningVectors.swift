import Foundation
import Testing

/// One entry of `signing-vectors.json`.
struct SigningVector: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var secret: String
    var t: Int64
    var body: String
    var mac: String
    var header: String
    var kid: String?

    var testDescription: String { self.name }
}

/// Loads the signing vectors copied into `Tests/ReferralKitTests/Fixtures` (no resource bundles:
/// the path is relative to this source file).
enum SigningVectors {
    /// `Tests/ReferralKitTests/Fixtures/signing-vectors.json`.
    static let fixtureURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/signing-vectors.json")

    /// The repository root (two levels above the test target folder).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `../shared/testdata/signing-vectors.json` relative to the repository root.
    static let sharedURL = repositoryRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/testdata/signing-vectors.json")

    private struct File: Decodable {
        var vectors: [SigningVector]
    }

    /// Every vector in the fixture.
    static let all: [SigningVector] = {
        do {
            let data = try Data(contentsOf: fixtureURL)
            return try JSONDecoder().decode(File.self, from: data).vectors
        } catch {
            // An empty list would make the parameterised tests vacuous; `vectorFileIsComplete` fails.
            return []
        }
    }()

    /// The vectors whose body is canonical (what the encoder produces); `whitespace-matters` is not.
    static var canonical: [SigningVector] { all.filter { $0.name != "whitespace-matters" } }
}
