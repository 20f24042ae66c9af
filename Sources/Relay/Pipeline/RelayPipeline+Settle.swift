import Kafka

extension RelayPipeline {
    /// Settles and commits what a revocation takes away, then lets the consumer release it.
    func revoke(_ revocation: KafkaRevocation) async {
        let partitions = Set(revocation.partitions)
        let started = ContinuousClock.now
        // Waiting records of these partitions are the next owner's: uncommitted, redelivered.
        self.update { ((), $0.revoke(partitions)) }
        if !revocation.isLost {
            await self.waitUntilIdle(partitions, timeout: self.revocationDrain)
        }
        await self.abandon(partitions)
        if !revocation.isLost {
            // A coordinator busy with the rebalance may refuse the commit for a moment; retry
            // while the consumer still holds the partitions (its revocation timeout is 10 s).
            // Not committed, the next owner redoes what this member settled (duplicates).
            // Paced even when cancelled (a relay whose shutdown went past the consumer's
            // revocation timeout): the commit task still serves these commits then, but a
            // cancelled sleep returns at once, and the loop spun on a core until the deadline
            // (seen in a profile: seconds of `ContinuousClock.now` and `Task.sleep`). The pause
            // is a task of its own, which the cancellation does not reach. Over once the commit
            // task takes no more requests (the relay's last commit is made): every retry would
            // fail, and the relay's stop would wait for the deadline.
            let deadline = started + self.revocationDrain + .seconds(2)
            while await !self.commitSettled(in: partitions), !self.commits.isClosed,
                ContinuousClock.now + .milliseconds(250) < deadline
            {
                await Task { try? await Task.sleep(for: .milliseconds(250)) }.value
            }
        }
        let (count, workers) = self.state.withLock { state in
            state.scheduler.remove(partitions)
            for partition in partitions where partition.topic == self.topics.accountCreated {
                state.refereeProgress.remove(partition: partition.partition)
            }
            let workers = partitions.compactMap { state.workers.removeValue(forKey: $0) }
            return (state.scheduler.assigned.count, workers)
        }
        for worker in workers { worker.finish() }
        // Their lag and age series go: the new owner reports them.
        self.metrics.partitionsRevoked(partitions)
        self.health.assigned(partitions: count)
        self.metrics.assignedPartitions(count)
        self.logger.info(
            "partitions revoked",
            metadata: ["partitions": "\(revocation.partitions.map(\.description))", "lost": "\(revocation.isLost)"]
        )
        revocation.complete()
    }

    /// Stops intake and gives started work ``drainTimeout`` to settle; the rest is abandoned.
    /// The workers then end, and with them the tasks of every record.
    func drain() async {
        self.health.draining()
        let (dropped, started) = self.update { scheduler in
            let (dropped, actions) = scheduler.drain()
            return ((dropped, scheduler.started.count), actions)
        }
        self.logger.info(
            "draining",
            metadata: ["in_flight": "\(started)", "dropped_waiting": "\(dropped)", "timeout": "\(self.drainTimeout)"]
        )
        await self.waitUntilIdle(nil, timeout: self.drainTimeout)
        await self.abandon(nil)
        let workers = self.state.withLock { state in
            defer { state.workers = [:] }
            return Array(state.workers.values)
        }
        for worker in workers { worker.finish() }
        self.spawn.finish()
    }

    /// How long the last commit is retried at shutdown, and how long any commit waits for a
    /// rebalance in progress: part of the documented shutdown bound (README, "Shutdown").
    static let commitWindow = Duration.seconds(5)

    /// The last commit: retried for ``commitWindow``, since a rebalance may be refusing commits.
    func commitAtShutdown() async {
        let deadline = ContinuousClock.now + Self.commitWindow
        while await !self.commitSettled(in: nil), ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Commits the settled prefix of `partitions` (all when `nil`) through the commit task.
    ///
    /// - Returns: `true` when there was nothing to commit or the commit succeeded.
    @discardableResult
    func commitSettled(in partitions: Set<KafkaTopicPartition>?) async -> Bool {
        await self.commits.commit(partitions)
    }

    /// Commits the settled prefix of `partitions` (all when `nil`) now. The commit task only.
    func commitNow(in partitions: Set<KafkaTopicPartition>?) async -> Bool {
        let commits = self.state.withLock { $0.scheduler.ledger.pendingCommits(in: partitions) }
        var ok = true
        if !commits.isEmpty {
            let offsets = commits.mapValues(\.offset)
            do {
                // Held while this member joins the next generation (a commit sent then costs
                // the whole assignment), for at most the shutdown's commit window.
                try await self.consumer.commit(
                    offsets, metadata: commits.compactMapValues(\.metadata), rebalanceWait: Self.commitWindow)
                self.state.withLock { $0.scheduler.committed(commits) }
                self.metrics.committed(ok: true)
                self.logger.debug("committed", metadata: ["offsets": "\(offsets.map { "\($0.key)=\($0.value)" })"])
            } catch {
                ok = false
                self.metrics.committed(ok: false)
                if error.code == .rebalanceInProgress {
                    // Expected while the group rebalances: the commit waits for the new generation.
                    self.logger.info("commit deferred: the group is rebalancing", metadata: ["error": "\(error)"])
                } else {
                    self.logger.warning("commit failed; the next commit retries", metadata: ["error": "\(error)"])
                }
            }
        }
        for (partition, lag) in self.state.withLock({ $0.scheduler.ledger.commitLags }) {
            self.metrics.commitLag(topic: partition.topic, partition: partition.partition, lag: lag)
        }
        return ok
    }

    /// Cancels started work of `partitions` (all when `nil`) and waits briefly for it to end
    /// unsettled.
    func abandon(_ partitions: Set<KafkaTopicPartition>?) async {
        let (busy, workers) = self.state.withLock { state in
            let workers = state.workers.filter { partitions?.contains($0.key) ?? true }.map(\.value)
            return (state.scheduler.isBusy(partitions), workers)
        }
        guard busy else { return }
        self.logger.warning("abandoning in-flight work; it will be redelivered")
        for worker in workers { worker.abandon() }
        await self.waitUntilIdle(partitions, timeout: .seconds(5))
    }
}
