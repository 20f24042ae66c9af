import ArgumentParser

/// `referral-relay dev-broker` (placeholder until its issue lands).
struct DevBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dev-broker", abstract: "Not built yet.")

    func run() async throws {
        throw ValidationError("'dev-broker' is not built yet")
    }
}
