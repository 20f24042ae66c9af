import ArgumentParser
import Relay

/// The `referral-relay` executable: a thin entry point that parses the command line and hands
/// each subcommand to the module that owns the work.
@main
struct ReferralRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referral-relay",
        abstract: "Relays player lifecycle events from Kafka to MMOLove Referral Kit, signed.",
        // `--version`: the relay's version and the librdkafka it runs with.
        version: ReferralRelayVersion.description,
        subcommands: [
            RunCommand.self, CheckCommand.self, BackfillCommand.self, DLQCommand.self, DemoCommand.self,
            SandboxCommand.self,
            SendCommand.self, DevBrokerCommand.self, RefereesCommand.self,
        ]
    )
}
