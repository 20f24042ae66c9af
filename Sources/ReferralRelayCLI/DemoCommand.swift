import ArgumentParser
import Logging

/// `referral-relay demo`: the README's first command. Everything end to end in one process over
/// real loopback (embedded Kafka broker, MMOLove sandbox with faults, the relay itself), with
/// live progress, a summary table and checks; exits 0 only if every outcome is right.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the relay end to end on an embedded broker and a local sandbox, and check every outcome.",
        discussion: """
            Starts librdkafka's mock cluster and the MMOLove sandbox on loopback, seeds a realistic \
            mix of players (referred or not, qualifying or not, a first-touch race, a milestone \
            before its account, an unknown token, a malformed record), runs the relay with live \
            progress, shuts it down gracefully and checks every outcome, dead letter, sandbox \
            delivery and committed offset. Exits 0 only if everything is right.
            """
    )

    @Option(help: "Players to seed (at least \(DemoScenario.minimumAccounts)).")
    var accounts: Int = 60

    @Option(help: "Fraction 0...1 of sandbox requests answered 500.")
    var failRate: Double = 0.1

    @Option(help: "Fraction 0...1 of sandbox requests whose connection is dropped without an answer.")
    var dropRate: Double = 0.03

    @Option(help: "Seconds to wait for every outcome and dead letter before failing.")
    var timeout: Int = 90

    @Option(help: "Write every outcome record received to this file, one JSON object per line.")
    var outcomesFile: String?

    @Option(help: "Where the logs go (default: a new file in the temporary directory).")
    var logFile: String?

    @Option(help: "Level of the logs in that file (trace, debug, info, notice, warning, error, critical).")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard self.accounts >= DemoScenario.minimumAccounts, self.accounts <= 100_000 else {
            throw ValidationError("--accounts must be \(DemoScenario.minimumAccounts)...100000")
        }
        guard (0...1).contains(self.failRate) else { throw ValidationError("--fail-rate must be within 0...1") }
        guard (0...1).contains(self.dropRate) else { throw ValidationError("--drop-rate must be within 0...1") }
        guard self.timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let options = DemoOptions(
            accounts: self.accounts, failRate: self.failRate, dropRate: self.dropRate, timeout: self.timeout,
            outcomesFile: self.outcomesFile, logFile: self.logFile, logLevel: self.logLevel)
        guard try await DemoRun(options: options).run() else { throw ExitCode.failure }
    }
}

/// The demo's settings, as parsed.
struct DemoOptions: Sendable {
    /// Players to seed.
    var accounts: Int
    /// Injected 500 rate.
    var failRate: Double
    /// Injected dropped-connection rate.
    var dropRate: Double
    /// Seconds to wait for everything.
    var timeout: Int
    /// Where to write the outcome records, if anywhere.
    var outcomesFile: String?
    /// Where the logs go; `nil` picks a temporary file.
    var logFile: String?
    /// The log level in that file.
    var logLevel: Logger.Level
}
