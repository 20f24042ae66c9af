import ArgumentParser

/// `referral-relay send` (placeholder until its issue lands).
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send", abstract: "Not built yet.")

    func run() async throws {
        throw ValidationError("'send' is not built yet")
    }
}
