import ArgumentParser
import Foundation
import Logging
import ReferralSandbox
import ServiceLifecycle

/// `referral-relay sandbox`: serves the local MMOLove endpoint on loopback until SIGTERM/SIGINT.
///
/// The simple case needs no file: `--port 8787 --server-id srv_1 --secret-file ./secret`.
/// Several servers, tokens and faults come from `--config <file.json>` and the flags below,
/// which override the file.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Serve a local MMOLove referral endpoint (POST /api/referral/events) on loopback."
    )

    @Option(help: "The address to bind.")
    var host: String?

    @Option(help: "The port to bind; 0 picks a free one (the address is printed).")
    var port: Int?

    @Option(name: .customLong("server-id"), help: "A server id to accept (with --secret-file).")
    var serverID: String?

    @Option(help: "The file holding that server's secret (never the secret itself on the command line).")
    var secretFile: String?

    @Option(name: .customLong("key-id"), help: "The key id of that secret, expected as kid= in the header.")
    var keyID: String?

    @Flag(help: "Answer 404 'referrals not enabled' for that server.")
    var referralsDisabled = false

    @Option(help: "A JSON configuration file (servers, tokens, faults).")
    var config: String?

    @Option(help: "A token answered 404 'unknown token' (repeatable).")
    var unknownToken: [String] = []

    @Option(help: "An expired token, answered 404 'unknown token' (repeatable).")
    var expiredToken: [String] = []

    @Option(help: "Fraction 0...1 of requests answered --fail-status.")
    var failRate: Double?

    @Option(help: "The first N requests are answered --fail-status.")
    var failFirst: Int?

    @Option(help: "The status of an injected failure (default 500).")
    var failStatus: Int?

    @Option(help: "Added latency per request, in milliseconds.")
    var latencyMs: Int?

    @Option(help: "Fraction 0...1 of requests whose connection is dropped without an answer.")
    var dropRate: Double?

    @Option(help: "The first N requests have their connection dropped without an answer.")
    var dropFirst: Int?

    @Option(help: "Fraction 0...1 of requests answered --throttle-status with --retry-after.")
    var throttleRate: Double?

    @Option(help: "The first N requests are answered --throttle-status with --retry-after.")
    var throttleFirst: Int?

    @Option(help: "The status of a throttled answer: 429 (default) or 503.")
    var throttleStatus: Int?

    @Option(help: "The Retry-After value sent with a 429 (seconds or an HTTP-date).")
    var retryAfter: String?

    @Option(help: "Answer --throttle-status at once to a request arriving while more than N are in flight.")
    var maxConcurrent: Int?

    @Option(help: "The seed of the fault generator.")
    var seed: UInt64?

    @Option(help: "Log level on stderr (trace, debug, info, notice, warning, error, critical).")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let configuration = try self.makeConfiguration()
        var logger = Logger(
            label: "referral-relay.sandbox", factory: { label in StreamLogHandler.standardError(label: label) })
        logger.logLevel = self.logLevel
        let server = SandboxServer(configuration: configuration, logger: logger) { address in
            // The one line on stdout: process tests and scripts parse it to learn a port-0 address.
            // FileHandle writes are unbuffered, so the line is visible even when stdout is a pipe.
            FileHandle.standardOutput.write(Data("sandbox listening on \(address.baseURL)\n".utf8))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [server],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
