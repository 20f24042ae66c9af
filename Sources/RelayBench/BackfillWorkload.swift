import Kafka

/// A backfill's backlog (rows 8 and 9): referred account-created records for `accounts`
/// players, then a qualifying milestone-reached for each, every record stamped explicitly and
/// later than the one before (accounts from ``firstTimestamp`` one millisecond apart, the
/// milestones after the last account), all produced before the backfill starts.
struct BackfillWorkload: Sendable {
    /// 2026-11-01T00:00:01Z: the first account's timestamp, milliseconds since the epoch.
    static let firstTimestamp: Int64 = 1_793_491_201_000
    /// The window's start (RFC 3339): a second before the first record, so it holds them all.
    static let windowStart = "2026-11-01T00:00:00Z"

    /// Names the accounts of this workload (unique per row).
    var run: String
    /// account-created records; as many milestone-reached records follow.
    var accounts: Int

    /// Referral events expected: one outcome each.
    var events: Int { 2 * self.accounts }

    /// Produces the accounts and the milestones side by side (two streams of sends through one
    /// loader, 5 ms linger, lz4 so a million records fit the embedded broker's ~5 MiB per
    /// partition), and returns once every record was acknowledged.
    ///
    /// - Throws: ``KafkaError`` for a record that could not be delivered.
    func load(into broker: BenchBroker) async throws {
        let run = self.run
        let accounts = self.accounts
        try await broker.withLoader(linger: .milliseconds(5), compression: "lz4") { producer in
            async let created: Void = broker.load(accounts, with: producer) { index in
                var record = InputRecords.accountCreated(
                    topic: BenchBroker.Topic.accountCreated, account: InputRecords.accountID(run: run, index),
                    referred: true)
                record.timestamp = Self.firstTimestamp + Int64(index)
                return record
            }
            async let reached: Void = broker.load(accounts, with: producer) { index in
                var record = InputRecords.milestoneReached(
                    topic: BenchBroker.Topic.milestoneReached, account: InputRecords.accountID(run: run, index),
                    referred: true)
                record.timestamp = Self.firstTimestamp + Int64(accounts + index)
                return record
            }
            _ = try await (created, reached)
        }
    }
}
