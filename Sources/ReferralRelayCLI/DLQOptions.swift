import ArgumentParser
import Foundation
import Relay

/// The options `dlq list` and `dlq redrive` share: where the configuration is, and which dead
/// letters to select.
struct DLQOptions: ParsableArguments {
    @Option(help: "A YAML configuration file; environment variables override it (see docs/CONFIGURATION.md).")
    var config: String?

    @Option(help: "Only dead letters of this stage: decode or deliver.")
    var stage: String?

    @Option(help: "Only dead letters written at or after this RFC 3339 time (e.g. 2026-11-25T08:00:00Z).")
    var from: String?

    @Option(help: "Only dead letters written before this RFC 3339 time.")
    var to: String?

    @Option(help: "Only dead letters whose reason contains a match of this regular expression.")
    var reason: String?

    /// The filter; a bad value exits 64 naming the option.
    func filter() throws -> DeadLetterFilter {
        do {
            return try DeadLetterFilter.parse(stage: stage, from: from, to: to, reason: reason)
        } catch {
            throw DLQExit.fail(error)
        }
    }

    /// The Kafka settings, and the process's logging set up from them; a bad setting exits 78
    /// naming the key, as `run` does.
    func kafka() throws -> RelayConfiguration.Kafka {
        let kafka: RelayConfiguration.Kafka
        do {
            kafka = try RelayConfiguration.Kafka.load(
                configFile: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("referral-relay: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
        RelayLogging.bootstrapTool(kafka: kafka)
        return kafka
    }
}

/// How a `dlq` failure ends the process: the reason on stderr, then 64 for a usage error and 1
/// for anything else.
enum DLQExit {
    static func fail(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("referral-relay dlq: \(error)\n".utf8))
        if let error = error as? DeadLetterToolError, error.code == .usage { return ExitCode(64) }
        return ExitCode.failure
    }
}
