import Kafka

extension RelayPipeline {
    /// Turns each statistics report of the consumer into `relay_consumer_lag` of the partitions
    /// this member owns (see ``ConsumerLag``), until the consumer closes. Reports arrive every
    /// `statistics.interval.ms` (5 s by default, ``RelayConfiguration/consumerStatisticsInterval``).
    func statisticsLoop() async {
        for await statistics in self.consumer.statistics {
            let assigned = self.state.withLock { $0.scheduler.assigned }
            let lags = ConsumerLag.lags(in: statistics, assigned: assigned, readCommitted: self.readCommitted)
            for (partition, lag) in lags {
                self.metrics.consumerLag(partition, lag: lag)
            }
        }
    }

    /// Sets `relay_oldest_unsettled_age_seconds` of every assigned partition: how long ago its
    /// oldest record read but not settled was read, 0 when every record read is settled.
    func reportOldestUnsettled(now: ContinuousClock.Instant = .now) {
        let (assigned, readTimes) = self.state.withLock {
            ($0.scheduler.assigned, $0.scheduler.ledger.oldestUnsettledReadTimes)
        }
        for partition in assigned {
            let age = readTimes[partition].map { now - $0 } ?? .zero
            let (seconds, attoseconds) = age.components
            self.metrics.oldestUnsettledAge(partition, seconds: Double(seconds) + Double(attoseconds) / 1e18)
        }
    }
}
