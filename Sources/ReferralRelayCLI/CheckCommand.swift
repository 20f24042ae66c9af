import ArgumentParser
import Foundation
import Logging
import Relay

/// `referral-relay check`: loads the configuration exactly as `run` does (exit 78 naming the
/// key), then checks brokers, topics, the group, the producer and every MMOLove server
/// (``RelayCheck``) and prints a table of the checks. Exit status 0 when every check passed,
/// 1 naming the checks that failed.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a configuration against Kafka and MMOLove without relaying anything.",
        discussion: """
            Takes the configuration of `run` (file and environment) and checks that the brokers answer, that the four topics exist (with their partition counts), that the group's committed offsets can be read, that a commit works (to the group <groupId>-check, its row "commit to group <groupId>-check": the relay's own group is never written; ACLs that name groups literally must allow Read on it), that the relay's producer sees the outcome and dead-letter topics (nothing is written to any topic), and that every MMOLove server accepts one signed "test": true event (verified, never written). Secrets are never printed.

            Brokers that cannot be reached fail the check after --timeout seconds (one metadata request), naming the address and the last connection error; the checks that need Kafka are then reported skipped.

            Exit status: 0 when every check passed, 1 when one failed (named on stderr), 78 for a bad configuration (the key is named).
            """
    )

    @OptionGroup var configuration: RelayConfigurationOption

    @Option(help: "Seconds each broker request may take (unreachable brokers: one such wait).")
    var timeout: Int = 10

    func validate() throws {
        guard self.timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let configuration = try self.configuration.load()
        RelayLogging.bootstrapTool(configuration: configuration)
        let check = RelayCheck(
            configuration: configuration, timeout: .seconds(self.timeout), logger: Logger(label: "referral-relay-check")
        )
        let results = await check.run()
        FileHandle.standardOutput.write(Data(RelayCheck.table(results).utf8))
        let failed = results.filter { $0.status == .failed }.map(\.name)
        guard failed.isEmpty else {
            FileHandle.standardError.write(
                Data("referral-relay check: failed: \(failed.joined(separator: ", "))\n".utf8))
            throw ExitCode.failure
        }
    }
}
