import Relay

/// The demo's seed turned into input records, in production order, with the expectation of
/// every one of them.
///
/// - Important: ``late`` is produced only after the relay started, so its qualifying milestone
///   (in ``early``) reaches the relay first and the relay must wait out the 422 instead of
///   rejecting it.
struct DemoPlan: Sendable {
    /// Produced before the relay starts.
    var early: [DemoSeedRecord] = []
    /// Produced a couple of seconds after the relay started.
    var late: [DemoSeedRecord] = []
    /// What the relay must make of them.
    var expectations = DemoExpectations()
    /// The number of records that must produce nothing (not referred, not qualifying).
    var skipped = 0

    /// Lays out the records of `scenario` on `topics`.
    init(scenario: DemoScenario, topics: RelayConfiguration.Topics) {
        let malformed = DemoSeedRecord(
            topic: topics.accountCreated, key: scenario.malformedKey, value: scenario.malformedValue)
        for (position, account) in scenario.accounts.enumerated() {
            let created = DemoSeedRecord.accountCreated(account, topic: topics.accountCreated)
            if account.role == .milestoneFirst {
                self.late.append(created)
            } else {
                self.early.append(created)
            }
            self.expectRegistered(account, source: created)
            for index in account.milestones.indices {
                let milestone = DemoSeedRecord.milestoneReached(account, index: index, topic: topics.milestoneReached)
                self.early.append(milestone)
                self.expectMilestone(account, milestone: account.milestones[index], source: milestone)
            }
            // Somewhere in the middle of the stream, not at an edge where it is easy to handle.
            if position == scenario.accounts.count / 2 {
                self.early.append(malformed)
                self.expectations.deadLetters.append(.init(source: malformed, stage: .decode, httpStatus: nil))
            }
        }
    }

    private mutating func expectRegistered(_ account: DemoScenario.Account, source: DemoSeedRecord) {
        switch account.role {
        case .notReferred:
            self.skipped += 1
        case .qualifying, .registeredOnly, .milestoneFirst:
            self.expectations.expect(.registered, .advanced, account: account, source: source)
            self.expectations.acceptedRegistered[account.id] = 1
        case .firstTouchRace:
            self.expectations.expect(.registered, .firstTouchConflict, account: account, source: source)
            // The rival's registration is the one accepted for this player.
            self.expectations.acceptedRegistered[account.id] = 1
        case .unknownToken:
            self.expectations.expect(.registered, .rejected, account: account, source: source, httpStatus: 404)
        }
    }

    private mutating func expectMilestone(_ account: DemoScenario.Account, milestone: String, source: DemoSeedRecord) {
        guard account.token != nil, milestone == DemoScenario.qualifyingMilestone else {
            self.skipped += 1
            return
        }
        switch account.role {
        case .unknownToken:
            // Its registered was rejected: the referee store keeps the qualified from being sent.
            self.expectations.expect(.qualified, .registrationFailed, account: account, source: source)
        default:
            self.expectations.expect(.qualified, .advanced, account: account, source: source)
            self.expectations.acceptedQualified[account.id] = 1
        }
    }
}
