import ArgumentParser
import Foundation
import Logging
import Relay
import ServiceLifecycle

/// `referral-relay run`: the relay itself. Configuration from `--config` (YAML) and the
/// environment (environment wins); SIGTERM/SIGINT drain, commit, leave the group, exit 0.
///
/// Exit status: 0 after a clean shutdown; 78 (EX_CONFIG) when the configuration is invalid,
/// with the key at fault on stderr; 1 on a fatal runtime error (e.g. a fatal Kafka error).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Relay account-created and milestone-reached events to MMOLove and publish outcomes."
    )

    @Option(help: "A YAML configuration file; environment variables override it (see docs/CONFIGURATION.md).")
    var config: String?

    func run() async throws {
        let configuration: RelayConfiguration
        do {
            configuration = try RelayConfiguration.load(
                configFile: self.config,
                environment: ProcessInfo.processInfo.environment
            )
        } catch {
            FileHandle.standardError.write(Data("referral-relay: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
        let redactor = RelayLogging.bootstrap(configuration: configuration)
        let logger = Logger(label: "referral-relay")
        do {
            let services = try buildRelay(configuration: configuration, logger: logger, redactor: redactor) { port in
                // The one line on stdout: scripts and process tests read the ops port from it.
                FileHandle.standardOutput.write(
                    Data("relay ops listening on http://\(configuration.opsHost):\(port)\n".utf8))
            }
            let group = ServiceGroup(
                configuration: .init(
                    services: services,
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            try await group.run()
        } catch {
            logger.critical("relay failed", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
