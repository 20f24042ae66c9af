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
        // One loader for both topics, told both before its first record: a loader of its own
        // for the milestones connected and looked its topic up (librdkafka holds the first
        // record to an unknown topic about a second) after the accounts were in, and row 4's
        // relay, done with them, stood idle for 0.5-1 s in about one run in three.
        try await broker.withLoader { producer in
            try await producer.prepare(topics: [BenchBroker.Topic.accountCreated, BenchBroker.Topic.milestoneReached])
            try await broker.load(self.accounts, with: producer) { index in
                InputRecords.accountCreated(
                    topic: BenchBroker.Topic.accountCreated, account: InputRecords.accountID(run: run, index),
                    referred: true)
            }
            try await broker.load(self.milestones, with: producer) { index in
                InputRecords.milestoneReached(
                    topic: BenchBroker.Topic.milestoneReached, account: InputRecords.accountID(run: run, index),
                    referred: true)
            }
        }
    }
}
