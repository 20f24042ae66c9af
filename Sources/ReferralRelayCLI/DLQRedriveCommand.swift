import ArgumentParser
import Foundation
import Logging
import Relay
import ServiceLifecycle
import Synchronization

/// `referral-relay dlq redrive`: re-produces the selected dead letters to their original
/// topics in the run's own consumer group, resuming where the same run stopped.
///
/// Exit status: 0 when the run reached the end offsets captured at start (whatever it skipped);
/// 64 for a bad option; 78 for a bad configuration; 1 when the topic is missing, Kafka fails, a
/// produce fails or SIGTERM/SIGINT stopped the run (offsets are committed up to there: the same
/// command resumes).
struct DLQRedriveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redrive",
        abstract: "Re-produce dead letters to their original topics, once per run name."
    )

    @OptionGroup var options: DLQOptions

    @Option(
        help: "The run's name (consumer group <kafka.groupId>-redrive-<name>); default derived from the filters.")
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
        var settings = DeadLetterRedrive.Options(run: run, filter: filter)
        settings.dryRun = dryRun
        settings.rate = rate
        let redrive = settings
        let logger = Logger(label: "referral-relay.dlq")
        // In a ServiceGroup so that SIGTERM/SIGINT stop the run between records, after which it
        // commits what the brokers acknowledged.
        let outcome = Mutex<Result<RedriveSummary, any Error>?>(nil)
        let service = DLQRedriveService {
            let result: Result<RedriveSummary, any Error>
            do {
                let summary = try await DeadLetterRedrive.run(kafka: kafka, options: redrive, logger: logger) {
                    print($0)
                }
                result = .success(summary)
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
        }
        // The redrive ends by itself: its return ends the group, which is no failure.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
            let summary = try outcome.withLock { $0 }?.get() ?? RedriveSummary()
            self.report(summary)
            if summary.interrupted {
                throw DeadLetterToolError(
                    code: .kafka,
                    reason: "stopped by a signal; what was re-driven is committed: run the same command to resume")
            }
        } catch {
            throw DLQExit.fail(error)
        }
    }

    private func report(_ summary: RedriveSummary) {
        if dryRun, !summary.samples.isEmpty {
            print("first matches:")
            if let header = DeadLetterFormat.table.header { print(header) }
            for entry in summary.samples { print(DeadLetterFormat.table.line(for: entry)) }
        }
        summary.lines(dryRun: dryRun).forEach { print($0) }
    }
}

/// The redrive as the one service of a `ServiceGroup`, which turns SIGTERM/SIGINT into a
/// graceful shutdown the redrive loop watches for.
struct DLQRedriveService: Service {
    let body: @Sendable () async -> Void

    func run() async throws { await body() }
}
