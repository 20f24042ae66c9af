import ArgumentParser
import Foundation
import ReferralKit

/// `referral-relay send`: one signed event from the shell, as MMOLove's cURL guide does it.
///
/// The endpoint, server id and secret come from the environment only (`MMOLOVE_ENDPOINT`,
/// `MMOLOVE_SERVER_ID`, `MMOLOVE_REFERRAL_SECRET` or `MMOLOVE_REFERRAL_SECRET_FILE`, optional
/// `MMOLOVE_KEY_ID`), so the secret never lands in shell history. Prints the status on the first
/// line and the body on the second; exits 0 only for a 2xx.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send one signed referral event (registered or qualified) and print status and body.",
        discussion: """
            Reads its settings from the environment only, so the secret stays out of shell history:
              MMOLOVE_ENDPOINT               events URL (default \(ReferralClient.defaultEndpoint))
              MMOLOVE_SERVER_ID              the MMOLove server id
              MMOLOVE_REFERRAL_SECRET        the secret, or
              MMOLOVE_REFERRAL_SECRET_FILE   a file holding it
              MMOLOVE_KEY_ID                 optional key id, sent as kid=
            Prints the status on the first line (0 = no HTTP response) and the body on the second;
            exits 0 only for a 2xx.
            """
    )

    @Argument(help: "The event: registered, qualified or reversed.")
    var event: ReferralEvent.Kind

    @Option(help: "The mmref token.")
    var token: String

    @Option(help: "The referee's stable id (required for registered).")
    var refereeIdentity: String?

    @Option(help: "The idempotency key, e.g. reg-<account_id>.")
    var serverEventId: String

    @Option(help: "Unix seconds of the event itself (default: now).")
    var ts: Int64?

    @Flag(help: "A dry run: verified and validated, never written.")
    var test = false

    @Option(help: "The request timeout in seconds.")
    var timeout: Int = 10

    func validate() throws {
        // A zero or negative deadline would expire before connecting and be reported as status 0,
        // "no HTTP response", hiding a usage error behind a transport failure.
        guard self.timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let environment = try SendEnvironment(ProcessInfo.processInfo.environment)
        let event: ReferralEvent
        do {
            event = try ReferralEvent(
                kind: self.event,
                token: self.token,
                serverID: environment.serverID,
                refereeIdentity: self.refereeIdentity,
                serverEventID: self.serverEventId,
                ts: self.ts ?? ReferralClock.system.now(),
                test: self.test
            )
        } catch {
            throw ValidationError(error.reason)
        }
        let client = try ReferralClient(
            serverId: environment.serverID,
            secret: environment.secret,
            endpoint: environment.endpoint,
            timeout: .seconds(self.timeout)
        )
        let outcome: Result<SendResult, ReferralError>
        do {
            outcome = .success(try await client.send(event))
        } catch {
            outcome = .failure(error)
        }
        try await client.shutdown()
        switch outcome {
        case .success(let result):
            print(result.status)
            print(result.body)
            if !result.ok { throw ExitCode.failure }
        case .failure(let error):
            // Status 0 is the SDKs' convention for "no HTTP response".
            print(0)
            FileHandle.standardError.write(Data("error: \(error.reason)\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension ReferralEvent.Kind: ExpressibleByArgument {}
