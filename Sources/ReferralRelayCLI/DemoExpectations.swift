import ReferralKit
import Relay

/// Everything the relay must produce for the demo's seed: one outcome per referral event, the
/// dead letters, and what the sandbox must have accepted per account.
struct DemoExpectations: Sendable {
    /// One expected outcome record.
    struct Outcome: Sendable, Hashable {
        /// `registered` or `qualified`.
        var event: ReferralEvent.Kind
        /// The account id (the outcome's key).
        var accountID: String
        /// The token the event carried.
        var mmref: String
        /// The expected status.
        var status: OutcomeStatus
        /// The input record it comes from.
        var source: DemoSeedRecord
        /// The expected HTTP status, when it is part of the story (404 for an unknown token).
        var httpStatus: Int?

        /// `reg-<account>` or `qual-<account>`.
        var serverEventID: String { (self.event == .registered ? "reg-" : "qual-") + self.accountID }
        /// The output contract: a reward exactly for an accepted `qualified`.
        var reward: Bool { self.event == .qualified && (self.status == .advanced || self.status == .duplicate) }
    }

    /// One expected dead letter.
    struct DeadLetter: Sendable, Hashable {
        /// The input record it copies.
        var source: DemoSeedRecord
        /// The failure stage header.
        var stage: DeadLetterStage
        /// The HTTP status header, for stage `deliver`.
        var httpStatus: Int?
    }

    /// Expected outcomes by `server_event_id`.
    var outcomes: [String: Outcome] = [:]
    /// Expected dead letters.
    var deadLetters: [DeadLetter] = []
    /// Accepted (`advanced`) `registered` events per account at the sandbox, rival's included.
    var acceptedRegistered: [String: Int] = [:]
    /// Accepted (`advanced`) `qualified` events per account at the sandbox.
    var acceptedQualified: [String: Int] = [:]

    /// Adds the expected outcome of `source`.
    mutating func expect(
        _ event: ReferralEvent.Kind,
        _ status: OutcomeStatus,
        account: DemoScenario.Account,
        source: DemoSeedRecord,
        httpStatus: Int? = nil
    ) {
        guard let token = account.token else { return }
        let outcome = Outcome(
            event: event, accountID: account.id, mmref: token, status: status, source: source, httpStatus: httpStatus)
        self.outcomes[outcome.serverEventID] = outcome
        if status.isDeadLettered {
            self.deadLetters.append(DeadLetter(source: source, stage: .deliver, httpStatus: httpStatus))
        }
    }

    /// The expected count of outcomes per (event, status), for the summary table.
    var countsByEventAndStatus: [DemoTally.Key: Int] {
        self.outcomes.values.reduce(into: [:]) {
            $0[DemoTally.Key(event: $1.event, status: $1.status), default: 0] += 1
        }
    }
}
