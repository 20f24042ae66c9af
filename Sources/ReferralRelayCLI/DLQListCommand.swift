import ArgumentParser
import Foundation
import Logging
import Relay

/// `referral-relay dlq list`: prints the dead letters on the dead-letter topic, from the
/// beginning (or `--from`) to the end offsets captured at start. Reads only.
///
/// Exit status: 0 when read to the end (or to `--limit`); 64 for a bad option; 78 for a bad
/// configuration; 1 when the topic is missing or Kafka fails.
struct DLQListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print dead letters: time, stage, reason, original topic/partition/offset, key."
    )

    @OptionGroup var options: DLQOptions

    @Option(help: "table (for a terminal) or json (one object per line).")
    var format: String = DeadLetterFormat.table.rawValue

    @Option(help: "Print at most this many dead letters.")
    var limit: Int?

    func validate() throws {
        guard DeadLetterFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be table or json, got '\(format)'")
        }
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
    }

    func run() async throws {
        let filter = try options.filter()
        let kafka = try options.kafka()
        let format = DeadLetterFormat(rawValue: self.format) ?? .table
        do {
            let summary = try await DeadLetterList.run(
                kafka: kafka, filter: filter, format: format, limit: limit, logger: Logger(label: "referral-relay.dlq")
            ) { print($0) }
            let note =
                "\(summary.printed) dead letter(s) shown of \(summary.read) read from \(kafka.topics.dlq)"
                + (summary.limited ? " (stopped at --limit)" : "")
            // Standard output holds only the JSON lines; the count goes to stderr there.
            if format == .json {
                FileHandle.standardError.write(Data("\(note)\n".utf8))
            } else {
                print(note)
            }
        } catch {
            throw DLQExit.fail(error)
        }
    }
}
