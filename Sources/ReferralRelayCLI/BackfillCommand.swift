import ArgumentParser
import Foundation
import Logging
import Relay
import ServiceLifecycle

/// `referral-relay backfill`: replays the input topics' records of a time window through the
/// relay's delivery path, in its own consumer group, and prints what it did.
///
/// Exit status: 0 once every record of the window is settled; 64 for bad arguments; 78 for an
/// invalid configuration; 1 when it cannot finish (a missing topic, a fatal error, or a shutdown
/// signal: run the same command again to resume).
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Replay a time window of the input topics to MMOLove (outcomes say replay: true).",
        discussion: """
            Reads account-created and milestone-reached from the first record at or after --from \
            to --to (or to the end of the topics as of the start), merged in timestamp order, and \
            sends each referral event as `run` does. Commits in its own consumer group \
            <kafka.groupId>-backfill-<name>, so the live relay's offsets are never touched and the \
            same command run again resumes where it stopped. MMOLove's idempotency makes a replay \
            safe: `duplicate` outcomes were already there, `advanced` ones were missing.
            """
    )

    /// How progress is shown.
    enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
        case auto, bar, log, none
    }

    @Option(help: "Start of the window, RFC 3339 (e.g. 2026-11-01T00:00:00Z), inclusive.")
    var from: String

    @Option(help: "End of the window, RFC 3339, exclusive (default: the end of the topics when the run starts).")
    var to: String?

    @Option(help: "The run name (its consumer group is <kafka.groupId>-backfill-<name>; default: from the window).")
    var name: String?

    @Flag(help: "Read and map the window, print what would be sent; send, publish and commit nothing.")
    var dryRun = false

    @Option(help: "Referral events sent per second at most (default: no limit).")
    var rate: Double?

    @Option(help: "Events in flight at once (default: RELAY_MAX_IN_FLIGHT).")
    var maxInFlight: Int?

    @Option(help: "Progress: auto (bars on a terminal, log lines otherwise), bar, log, none.")
    var progress: ProgressStyle = .auto

    @Option(help: "A YAML configuration file; environment variables override it (see docs/CONFIGURATION.md).")
    var config: String?

    func validate() throws {
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number") }
        if let maxInFlight, maxInFlight < 1 { throw ValidationError("--max-in-flight must be at least 1") }
    }

    func run() async throws {
        let window: BackfillWindow
        do {
            window = try BackfillWindow(from: self.from, to: self.to, name: self.name)
        } catch {
            throw ValidationError(error.reason)
        }
        var configuration: RelayConfiguration
        do {
            configuration = try RelayConfiguration.load(
                configFile: self.config, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("referral-relay: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
        if let maxInFlight { configuration.delivery.maxInFlight = maxInFlight }
        let redactor = RelayLogging.bootstrap(configuration: configuration)
        let logger = Logger(label: "referral-relay")
        do {
            if self.dryRun {
                let report = try await BackfillDryRun.run(configuration: configuration, window: window, logger: logger)
                BackfillConsole.printDryRun(report, window: window)
            } else {
                try await self.backfill(
                    configuration: configuration, window: window, redactor: redactor, logger: logger)
            }
        } catch let error as BackfillError {
            FileHandle.standardError.write(Data("referral-relay backfill: \(error.reason)\n".utf8))
            throw ExitCode.failure
        } catch let error as ExitCode {
            throw error
        } catch {
            logger.critical("backfill failed", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("referral-relay backfill: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func backfill(
        configuration: RelayConfiguration,
        window: BackfillWindow,
        redactor: LogRedactor,
        logger: Logger
    ) async throws {
        let backfill = try await Backfill.build(
            configuration: configuration, window: window, rate: self.rate, redactor: redactor, logger: logger)
        let style = self.progress == .auto ? (BackfillConsole.isTerminal ? .bar : .log) : self.progress
        let reporter = BackfillProgressReporter(
            pipeline: backfill.pipeline, style: style, logger: logger, run: window.name)
        let group = ServiceGroup(
            configuration: .init(
                services: backfill.services + [.init(service: reporter)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        let started = ContinuousClock.now
        try await group.run()
        let elapsed = ContinuousClock.now - started
        let completed = backfill.pipeline.replayCompleted
        BackfillConsole.printSummary(
            backfill.pipeline.tally.snapshot, progress: backfill.pipeline.replayProgress, window: window,
            group: backfill.groupID, elapsed: elapsed, completed: completed,
            resumed: backfill.pipeline.replayResumedRecords)
        if !completed { throw ExitCode.failure }
    }
}
