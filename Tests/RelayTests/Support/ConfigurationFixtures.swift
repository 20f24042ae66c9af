import Foundation
import Relay
import Testing

/// Shared fixtures of the configuration tests: secret files in a private temp directory and
/// the smallest environment that loads.
final class ConfigurationFixtures {
    /// A directory unique to this fixture, removed on deinit.
    let directory: URL

    init() throws {
        self.directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("relay-config-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// Writes `contents` to a file named `name` and returns its path.
    func write(_ name: String, _ contents: String) throws -> String {
        let url = self.directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data(contents.utf8).write(to: url)
        return url.path
    }

    /// The minimal environment that loads: brokers, one server and its secret literal.
    static let minimalEnvironment: [String: String] = [
        "KAFKA_BROKERS": "localhost:9092",
        "MMOLOVE_SERVER_ID": "eu-1",
        "MMOLOVE_REFERRAL_SECRET": "minimal-secret-value",
    ]

    /// `minimalEnvironment` with `changes` applied (`nil` removes a variable).
    static func environment(_ changes: [String: String?]) -> [String: String] {
        var environment = self.minimalEnvironment
        for (name, value) in changes {
            environment[name] = value
        }
        return environment
    }

    /// The error `body` throws, failing the test when it throws none.
    static func error(
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws(ConfigurationError) -> RelayConfiguration
    ) -> ConfigurationError? {
        do {
            _ = try body()
            Issue.record("expected a ConfigurationError", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}
