import Foundation

/// The example files under `schemas/examples/`, shared with the schema tests in `tests/schemas`
/// (read by path relative to this file, not as resources).
enum ContractExamples {
    /// The repository root.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // RelayTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `schemas/examples/<schema>/<validity>/`.
    static func directory(_ schema: String, _ validity: String) -> URL {
        repositoryRoot.appendingPathComponent("schemas/examples/\(schema)/\(validity)", isDirectory: true)
    }

    /// The `.json` files of `schemas/examples/<schema>/<validity>/`, sorted by name.
    static func files(_ schema: String, _ validity: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory(schema, validity), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// The bytes of `url`.
    static func bytes(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }
}
