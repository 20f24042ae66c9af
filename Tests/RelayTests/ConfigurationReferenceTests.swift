import Foundation
import Testing

@testable import Relay

/// `docs/CONFIGURATION.md` documents every setting the relay reads.
@Suite struct ConfigurationReferenceTests {
    static let reference: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try? String(contentsOf: root.appendingPathComponent("docs/CONFIGURATION.md"), encoding: .utf8)
    }()

    @Test(arguments: EnvironmentKey.allCases)
    func everyEnvironmentVariableIsDocumented(_ key: EnvironmentKey) throws {
        let reference = try #require(Self.reference)
        #expect(reference.contains("| `\(key.rawValue)` |"))
    }

    /// `run --help` shows the same default as the reference's Default column.
    @Test(arguments: EnvironmentKey.allCases)
    func everyEnvironmentVariablesDefaultMatchesTheReference(_ key: EnvironmentKey) throws {
        let reference = try #require(Self.reference)
        let row = try #require(reference.split(separator: "\n").first { $0.hasPrefix("| `\(key.rawValue)` |") })
        let columns = row.split(separator: "|", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        // | variable | YAML key | default | meaning |
        let documented = columns[3].replacingOccurrences(of: "`", with: "")
        #expect(documented == key.documentedDefault, "\(key.rawValue): \(documented) in the reference")
    }

    @Test func everyYAMLKeyIsDocumented() throws {
        let reference = try #require(Self.reference)
        func paths(_ shape: [String: ConfigurationFile.Shape], _ prefix: String) -> [String] {
            shape.flatMap { key, value -> [String] in
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                if case .section(let children) = value { return paths(children, path) }
                return [path]
            }
        }
        let all = paths(ConfigurationFile.schema, "")
        #expect(all.count > 20)
        for path in all {
            #expect(reference.contains("`\(path)`"), "\(path) is not in docs/CONFIGURATION.md")
        }
    }
}
