import ArgumentParser
import Foundation
import Logging
import Relay

/// `referral-relay referees`: the referee store's local copy from the shell, with the relay's
/// configuration (docs/DESIGN.md, "Referee store").
struct RefereesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referees",
        abstract: "Restore the referee store's local copy, or look an account up in it.",
        subcommands: [RefereesRestoreCommand.self, RefereesLookupCommand.self]
    )
}

/// `referral-relay referees restore`: brings the local copy up to the topic's end, as a relay
/// does before it takes input (to prepare a volume, or to measure a restore), and prints what it
/// did.
struct RefereesRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Bring the referee store's local copy up to its topic's end and print what it took."
    )

    @OptionGroup var options: RelayConfigurationOption

    func run() async throws {
        let configuration = try options.load()
        let logger = Logger(label: "referral-relay.referees") { _ in SwiftLogNoOpLogHandler() }
        do {
            let summary = try await RefereeStore.open(configuration: configuration, logger: logger).restore()
            let seconds =
                Double(summary.duration.components.seconds)
                + Double(summary.duration.components.attoseconds) / 1e18
            print(
                "restored \(summary.accounts) accounts in \(String(format: "%.2f", seconds)) s;"
                    + " local copy \(summary.bytesOnDisk) bytes in \(summary.directory)")
        } catch {
            FileHandle.standardError.write(Data("referral-relay referees restore: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `referral-relay referees lookup <account_id>`: what the local copy knows about one account
/// (after bringing it up to the topic's end), as the JSON of the referees topic.
struct RefereesLookupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "Print what the referee store knows about an account (exit 1 when it knows nothing)."
    )

    @OptionGroup var options: RelayConfigurationOption

    @Argument(help: "The account id.")
    var accountID: String

    func run() async throws {
        let configuration = try options.load()
        let logger = Logger(label: "referral-relay.referees") { _ in SwiftLogNoOpLogHandler() }
        do {
            let store = try RefereeStore.open(configuration: configuration, logger: logger)
            _ = try await store.restore()
            guard let record = await store.lookup(accountID) else {
                FileHandle.standardError.write(Data("referral-relay referees lookup: \(accountID) is not known\n".utf8))
                throw ExitCode(1)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(record), as: UTF8.self))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("referral-relay referees lookup: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
