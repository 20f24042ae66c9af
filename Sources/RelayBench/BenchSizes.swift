/// The sizes of every row, from the defaults of issue 9 times `--scale`.
struct BenchSizes: Codable, Sendable {
    /// The scale factor applied.
    var scale: Double
    /// Row 1: not-referred records, half on each input topic (default 100,000).
    var consumeRecords: Int
    /// Row 2: outcome-sized records published per producer (default 100,000).
    var publishRecords: Int
    /// Row 2: sends in flight for the relay-like producer (the relay's default window).
    var publishWindow = 256
    /// Row 2: sends in flight for the ceiling producer.
    var publishCeilingWindow = 10_000
    /// Row 3: POSTs per client (default 20,000).
    var httpRequests: Int
    /// Row 3: requests in flight.
    var httpConcurrency = 64
    /// Row 4 (and row 7's steady phase): referred events, half account-created, half milestones
    /// (default 20,000).
    var relayEvents: Int
    /// Row 5: account-created records of the cold backlog (default 60,000).
    var coldAccounts: Int
    /// Row 5: milestone-reached records of the cold backlog, for the first accounts (default 15,000).
    var coldMilestones: Int
    /// Row 6: offered load in events per second (default 1,000; not scaled).
    var latencyRate: Int
    /// Row 6: how long the load is offered, seconds (default 20, scaled, at least 2).
    var latencySeconds: Double
    /// Row 7: referred records produced while the endpoint is down (default 1,000,000).
    var rssBacklog: Int
    /// Row 7: how long RSS is watched after the backlog is produced, seconds (default 30,
    /// scaled, 3 to 30).
    var rssWindowSeconds: Double
    /// Input partitions of the RSS row's account-created topic: enough that the backlog fits the
    /// embedded broker's ~5 MiB per partition.
    var rssBacklogPartitions: Int
    /// Row 8: referral events of the backfill's window, half account-created, half milestones
    /// (default 1,000,000).
    var backfillEvents: Int
    /// Row 9: the backfill's `--rate`, events per second (not scaled).
    var backfillRate = 500
    /// Row 9: seconds of events at that rate (default 60, scaled, at least 2).
    var backfillRateSeconds: Double
    /// Row 9: referral events of the window, `backfillRate` × `backfillRateSeconds`, half
    /// account-created, half milestones (default 30,000).
    var backfillRateEvents: Int

    /// The sizes at `scale`, with the latency load given explicitly.
    /// Row 10: referred accounts in the referee store's topic (default 1,000,000, scaled).
    var refereeAccounts: Int
    /// Row 11: account-created records produced during the outage (default 240,000).
    var outageAccounts: Int
    /// Row 11: milestone-reached records produced during the outage (default 60,000).
    var outageMilestones: Int
    /// Row 11: how long the sink answers 503, seconds (default 120, scaled, at least 3).
    var outageSeconds: Double

    init(scale: Double, latencyRate: Int, latencySeconds: Double) {
        func scaled(_ value: Int, minimum: Int) -> Int { max(minimum, Int((Double(value) * scale).rounded())) }
        self.scale = scale
        self.consumeRecords = scaled(100_000, minimum: 200) / 2 * 2
        self.publishRecords = scaled(100_000, minimum: 200)
        self.httpRequests = scaled(20_000, minimum: 200)
        self.relayEvents = scaled(20_000, minimum: 100) / 2 * 2
        self.coldAccounts = scaled(60_000, minimum: 80)
        self.coldMilestones = scaled(15_000, minimum: 20)
        self.latencyRate = latencyRate
        self.latencySeconds = max(2, latencySeconds * min(1, scale))
        self.rssBacklog = scaled(1_000_000, minimum: 1_000)
        self.rssWindowSeconds = min(30, max(3, 30 * scale))
        // ~130-byte values: 1,000,000 of them are ~130 MB; 48 partitions keep each under 3 MiB.
        self.rssBacklogPartitions = max(12, min(48, self.rssBacklog / 20_000))
        self.backfillEvents = scaled(1_000_000, minimum: 100) / 2 * 2
        self.refereeAccounts = scaled(1_000_000, minimum: 1_000)
        self.outageAccounts = scaled(240_000, minimum: 80)
        self.outageMilestones = scaled(60_000, minimum: 20)
        self.outageSeconds = max(3, 120 * min(1, scale))
        self.backfillRateSeconds = max(2, 60 * min(1, scale))
        self.backfillRateEvents = Int((Double(self.backfillRate) * self.backfillRateSeconds).rounded()) / 2 * 2
    }
}
