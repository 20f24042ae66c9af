import ArgumentParser
import Foundation
import Relay

/// The `--config` option of the commands that load the whole relay configuration (`run`,
/// `check`), and the one way they load it: the YAML file with the environment laid over it, a
/// bad setting ending the process with status 78 (EX_CONFIG) and the key at fault on stderr.
struct RelayConfigurationOption: ParsableArguments {
    @Option(help: "A YAML configuration file; environment variables override it (see docs/CONFIGURATION.md).")
    var config: String?

    /// The validated configuration, or exit 78 naming the setting at fault.
    func load() throws -> RelayConfiguration {
        do {
            return try RelayConfiguration.load(
                configFile: self.config,
                environment: ProcessInfo.processInfo.environment
            )
        } catch {
            FileHandle.standardError.write(Data("referral-relay: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}
