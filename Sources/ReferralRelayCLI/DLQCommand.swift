import ArgumentParser

/// `referral-relay dlq`: the dead-letter tools, `list` and `redrive`.
struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List dead letters and re-drive them to their original topics.",
        subcommands: [DLQListCommand.self, DLQRedriveCommand.self]
    )
}
