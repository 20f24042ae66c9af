import Kafka

extension RelayPipeline {
    /// Settles and commits what a revocation takes away, then lets the consumer release it.
    func revoke(_ revocation: KafkaRevocation) async {
        let partitions = Set(revocation.partitions)
        self.state.withLock { state in
            // Waiting records of these partitions are the next owner's: uncommitted, redelivered.
            state.backlog.removeAll { partitions.contains($0.ticket.partition) }
            state.dependents.removeAll { partitions.contains($0.ticket.partition) }
            state.dependentSources.subtract(partitions)
            state.overlongPartitions.subtract(partitions)
            state.assigned.subtract(partitions)
            _ = self.flowChange(&state)
        }
        // Revoked partitions leave the paused set either way.
        self.fetchDesire.yield()
        if !revocation.isLost {
            await self.waitUntilIdle(partitions, timeout: self.revocationDrain)
        }
        await self.abandon(partitions)
        if !revocation.isLost {
            _ = await self.commitSettled(in: partitions)
        }
        let count = self.state.withLock { state in
            state.ledger.remove(partitions)
            return state.assigned.count
        }
        self.health.assigned(partitions: count)
        self.metrics.assignedPartitions(count)
        self.logger.info(
            "partitions revoked",
            metadata: ["partitions": "\(revocation.partitions.map(\.description))", "lost": "\(revocation.isLost)"]
        )
        revocation.complete()
    }

    /// Stops intake and gives in-flight work ``drainTimeout`` to settle; the rest is abandoned.
    func drain() async {
        self.health.draining()
        let waiting = self.state.withLock { state -> Int in
            state.stopping = true
            let waiting = state.waiting
            state.backlog.removeAll { _ in true }
            state.dependents.removeAll { _ in true }
            return waiting
        }
        let inFlight = self.state.withLock { $0.running.count }
        self.logger.info(
            "draining",
            metadata: ["in_flight": "\(inFlight)", "dropped_waiting": "\(waiting)", "timeout": "\(self.drainTimeout)"]
        )
        await self.waitUntilIdle(nil, timeout: self.drainTimeout)
        await self.abandon(nil)
    }

    /// The last commit: retried for a few seconds, since a rebalance may be refusing commits.
    func commitAtShutdown() async {
        let deadline = ContinuousClock.now + .seconds(5)
        while await !self.commitSettled(in: nil), ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Commits the settled prefix of `partitions` (all when `nil`).
    ///
    /// - Returns: `true` when there was nothing to commit or the commit succeeded.
    @discardableResult
    func commitSettled(in partitions: Set<KafkaTopicPartition>?) async -> Bool {
        await self.commitLock.withLock {
            let commits = self.state.withLock { $0.ledger.pendingCommits(in: partitions) }
            var ok = true
            if !commits.isEmpty {
                let offsets = commits.mapValues(\.offset)
                do {
                    try await self.consumer.commit(offsets, metadata: commits.compactMapValues(\.metadata))
                    self.state.withLock { $0.ledger.committed(commits) }
                    self.metrics.committed(ok: true)
                    self.logger.debug("committed", metadata: ["offsets": "\(offsets.map { "\($0.key)=\($0.value)" })"])
                } catch {
                    ok = false
                    self.metrics.committed(ok: false)
                    self.logger.warning(
                        "commit failed; the next commit retries",
                        metadata: ["error": "\(error)"]
                    )
                }
            }
            for (partition, lag) in self.state.withLock({ $0.ledger.commitLags }) {
                self.metrics.commitLag(topic: partition.topic, partition: partition.partition, lag: lag)
            }
            return ok
        }
    }

    /// Waits until no work of `partitions` (all when `nil`) is in flight, or `timeout` passes.
    func waitUntilIdle(_ partitions: Set<KafkaTopicPartition>?, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        // A cancelled caller (the whole relay cancelled) abandons at once instead of spinning.
        while ContinuousClock.now < deadline, !Task.isCancelled {
            let busy = self.state.withLock { state in
                state.running.keys.contains { partitions?.contains($0.partition) ?? true }
            }
            if !busy { return }
            // Polling keeps this simple; 10 ms is nothing next to an HTTP round trip.
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Cancels in-flight work of `partitions` (all when `nil`) and waits briefly for it to end
    /// unsettled.
    func abandon(_ partitions: Set<KafkaTopicPartition>?) async {
        let tasks = self.state.withLock { state in
            state.running.filter { partitions?.contains($0.key.partition) ?? true }.map(\.value)
        }
        guard !tasks.isEmpty else { return }
        self.logger.warning("abandoning in-flight work; it will be redelivered", metadata: ["count": "\(tasks.count)"])
        for task in tasks { task.cancel() }
        await self.waitUntilIdle(partitions, timeout: .seconds(5))
    }
}
