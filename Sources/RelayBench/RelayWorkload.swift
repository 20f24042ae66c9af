import Kafka

/// Referred players' records: account-created for every account, then qualifying
/// milestone-reached for the first `milestones` of them (always produced after all accounts).
struct RelayWorkload: Sendable {
    /// Names the accounts of this workload (unique per row and phase).
    var run: String
    /// account-created records.
    var accounts: Int
    /// milestone-reached records, for accounts `0..<milestones`.
    var milestones: Int

    /// Referral events expected: one outcome each.
    var events: Int { self.accounts + self.milestones }

    /// Produces the accounts, then the milestones.
    func load(into broker: BenchBroker) async throws {
        let run = self.run
        try await broker.load(self.accounts) { index in
            InputRecords.accountCreated(
                topic: BenchBroker.Topic.accountCreated, account: InputRecords.accountID(run: run, index),
                referred: true)
        }
        try await broker.load(self.milestones) { index in
            InputRecords.milestoneReached(
                topic: BenchBroker.Topic.milestoneReached, account: InputRecords.accountID(run: run, index),
                referred: true)
        }
    }
}
