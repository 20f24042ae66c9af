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
        abstract: "Relay account-created and milestone-reached events to MMOLove and publish outcomes.",
        discussion: RunCommand.environmentHelp
    )

    @OptionGroup var configuration: RelayConfigurationOption

    /// Every environment variable with its default, from ``EnvironmentKey``.
    static var environmentHelp: String {
        let variables = EnvironmentKey.allCases.map { key in
            let value =
                switch key.documentedDefault {
                case "— (required)": "required"
                case "—": "no default"
                case let value: "default: \(value)"
                }
            return "  \(key.rawValue) (\(value))\n      \(key.summary)"
        }
        // Explicit line breaks are kept by the help formatter; prose lines are wrapped by it.
        return """
            Environment variables (each wins over its key in --config; docs/CONFIGURATION.md has the YAML keys):
            \(variables.joined(separator: "\n"))
              \(EnvironmentKey.librdkafkaPropertyPrefix)<NAME> (no default)
                  A librdkafka property, e.g. RDKAFKA_SASL_PASSWORD sets sasl.password.

            Exit status: 0 after a clean shutdown, 78 for a bad configuration (the key is named), 1 on a fatal runtime error.
            """
    }

    func run() async throws {
        let configuration = try self.configuration.load()
        let environment = ProcessInfo.processInfo.environment
        // Log lines carry the current span's trace_id/span_id only when there are spans.
        let tracingRequested = RelayTracing.isRequested(by: environment)
        let redactor = RelayLogging.bootstrap(
            configuration: configuration,
            metadataProvider: tracingRequested ? RelayTracing.logMetadataProvider : nil)
        let logger = Logger(label: "referral-relay")
        let tracing: RelayTracing?
        do {
            tracing = try RelayTracing.fromEnvironment(environment, logger: logger)
        } catch {
            // A bad OTEL_* setting is a configuration error, like any other.
            FileHandle.standardError.write(Data("referral-relay: tracing (OTEL_*): \(error)\n".utf8))
            throw ExitCode(78)
        }
        do {
            let services = try buildRelay(
                configuration: configuration, logger: logger, redactor: redactor, tracing: tracing
            ) { port in
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
