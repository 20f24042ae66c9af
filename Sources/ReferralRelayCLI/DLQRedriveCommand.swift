import ArgumentParser
import Foundation
import Logging
import Relay

/// `referral-relay dlq redrive`: re-produces the selected dead letters to their original
/// topics in the run's own consumer group, resuming where the same run stopped.
///
/// Exit status: 0 when the run reached the end offsets captured at start (whatever it skipped);
/// 64 for a bad option; 78 for a bad configuration; 1 when the topic is missing, Kafka fails or
/// a produce fails (offsets are committed up to the failure: the same command resumes).
struct DLQRedriveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redrive",
        abstract: "Re-produce dead letters to their original topics, once per run name."
    )

    @OptionGroup var options: DLQOptions

    @Option(help: "The run's name (consumer group <kafka.groupId>-redrive-<name>); default derived from the filters.")
    var name: String?

    @Flag(help: "Produce and commit nothing: print counts and the first matches.")
    var dryRun = false

    @Option(help: "Produce at most this many records per second.")
    var rate: Double?

    func validate() throws {
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number") }
    }

    func run() async throws {
        let filter = try options.filter()
        let run = name ?? RedriveRunName.derived(from: filter)
        do {
            try RedriveRunName.validate(run)
        } catch {
            throw DLQExit.fail(error)
        }
        let kafka = try options.kafka()
        var redrive = DeadLetterRedrive.Options(run: run, filter: filter)
        redrive.dryRun = dryRun
        redrive.rate = rate
        do {
            let summary = try await DeadLetterRedrive.run(
                kafka: kafka, options: redrive, logger: Logger(label: "referral-relay.dlq")
            ) { print($0) }
            if dryRun, !summary.samples.isEmpty {
                print("first matches:")
                if let header = DeadLetterFormat.table.header { print(header) }
                for entry in summary.samples { print(DeadLetterFormat.table.line(for: entry)) }
            }
            summary.lines(dryRun: dryRun).forEach { print($0) }
        } catch {
            throw DLQExit.fail(error)
        }
    }
}
