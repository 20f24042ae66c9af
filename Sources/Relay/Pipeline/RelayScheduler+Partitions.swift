import Kafka

extension RelayScheduler {
    /// Partitions were assigned: each starts a ledger epoch from the group's committed offset
    /// and the offsets settled beyond it.
    mutating func assign(
        _ partitions: [KafkaTopicPartition],
        committed: [KafkaTopicPartition: KafkaCommittedOffset]
    ) -> Actions {
        self.assigned.formUnion(partitions)
        for (partition, offset) in committed { self.ledger.prime(partition, committed: offset) }
        var actions = Actions()
        actions.holdsChanged = true
        return actions
    }

    /// Partitions are being revoked: their waiting records are dropped (the next owner reads
    /// them from the committed offset) and they are no longer held. Started work goes on until
    /// the owner abandons it; ``remove(_:)`` forgets the partitions after their last commit.
    mutating func revoke(_ partitions: Set<KafkaTopicPartition>) -> Actions {
        for item in self.ready where partitions.contains(item.ticket.partition) {
            self.dependencyWork.remove(item.ticket)
        }
        self.ready.removeAll { partitions.contains($0.ticket.partition) }
        for item in self.blocked.remove(partitions) { self.dependencyWork.remove(item.ticket) }
        // A prober waiting for a slot may have been among the records dropped.
        for prober in self.blocked.probersNeeded() { self.ready.prepend(prober) }
        self.gate.remove(partitions)
        self.assigned.subtract(partitions)
        self.overlong.subtract(partitions)
        for partition in partitions { self.lastReadTimestamp[partition] = nil }
        var actions = Actions()
        actions.holdsChanged = true
        self.updateGatedHold(&actions)
        self.dispatch(&actions)
        self.checkIdle(&actions)
        return actions
    }

    /// Forgets revoked partitions: settlements of their work are ignored from now on.
    mutating func remove(_ partitions: Set<KafkaTopicPartition>) {
        self.ledger.remove(partitions)
    }

    /// Graceful shutdown: no record is taken or started any more; waiting ones (for a slot or
    /// for the referee store) are dropped.
    ///
    /// - Returns: How many waiting records were dropped.
    mutating func drain() -> (dropped: Int, actions: Actions) {
        self.stopping = true
        let blocked = self.blocked.removeAll()
        let dropped = self.ready.count + blocked.count + self.gate.removeAll()
        for item in self.ready { self.dependencyWork.remove(item.ticket) }
        for item in blocked { self.dependencyWork.remove(item.ticket) }
        self.ready.removeAll()
        var actions = Actions()
        // The waiting records dropped were sources: the holds follow.
        self.updateHolds(&actions)
        self.checkIdle(&actions)
        return (dropped, actions)
    }

    /// Registers `waiter` to be told when no started work of `partitions` (all when `nil`)
    /// is left; told at once (in the returned actions) when there is none now.
    mutating func waitUntilIdle(_ partitions: Set<KafkaTopicPartition>?, waiter: UInt64) -> Actions {
        self.idleWaiters[waiter] = .some(partitions)
        var actions = Actions()
        self.checkIdle(&actions)
        return actions
    }

    /// Forgets an idle waiter (it timed out).
    mutating func cancelIdleWait(_ waiter: UInt64) {
        self.idleWaiters[waiter] = nil
    }

    /// Whether `partitions` (all when `nil`) have started work.
    func isBusy(_ partitions: Set<KafkaTopicPartition>?) -> Bool {
        guard let partitions else { return !self.started.isEmpty }
        return partitions.contains { self.startedPerPartition[$0] != nil }
    }

    /// Tells the idle waiters whose partitions have no started work left.
    mutating func checkIdle(_ actions: inout Actions) {
        guard !self.idleWaiters.isEmpty else { return }
        for (waiter, partitions) in self.idleWaiters where !self.isBusy(partitions) {
            self.idleWaiters[waiter] = nil
            actions.idle.append(waiter)
        }
    }

    /// Whether the `registered` that a `qualified` of time `timestamp` waits for may still land
    /// through this instance, so the qualified wait must not run out yet (a cold backlog read
    /// slowly, or `registered` events held up by an outage, must not turn into rejections):
    /// - a `registered` at least as old as the event is read but not settled yet (waiting for
    ///   a slot, in flight, retrying through an outage); or
    /// - some assigned partition of the dependency topic has records left to read (its read
    ///   position is below `highWatermark`) and its last record read is older than the event.
    ///
    /// Newer unsettled records do not count, so a live stream cannot keep a wait alive forever.
    ///
    /// - Parameters:
    ///   - timestamp: The waiting record's timestamp (milliseconds); `nil` counts as never behind.
    ///   - highWatermark: The partition's end offset as the client last saw it, `nil` if unknown
    ///     (a partition whose end is unknown does not extend the wait, so it stays bounded).
    func dependencyBehind(_ timestamp: Int64?, highWatermark: (KafkaTopicPartition) -> Int64?) -> Bool {
        guard let timestamp else { return false }
        if self.dependencyWork.hasAny(atOrBefore: timestamp) { return true }
        for partition in self.assigned where partition.topic == self.dependencyTopic {
            guard let high = highWatermark(partition) else { continue }
            let next = self.ledger.nextOffset(partition) ?? 0
            guard next < high else { continue }  // Caught up: nothing left to read.
            if (self.lastReadTimestamp[partition] ?? Int64.min) < timestamp { return true }
        }
        return false
    }
}

extension RelayScheduler {
    /// Records acknowledged commits in the ledger.
    mutating func committed(_ commits: [KafkaTopicPartition: PendingCommit]) {
        self.ledger.committed(commits)
    }
}
