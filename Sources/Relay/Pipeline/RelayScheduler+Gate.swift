import Kafka

extension RelayScheduler {
    /// A started milestone must wait for the referee store (see ``RefereeGate``): it leaves
    /// the window (its slot goes to the next record) and waits as a record, not a task, until
    /// ``releaseFromStore(through:now:wait:notReferred:)`` hands it back. Past ``Limits/gatedLimit``
    /// waiting records, the partitions feeding them are held.
    ///
    /// - Parameters:
    ///   - readAt: Unix milliseconds now (the latest time the record may wait for).
    mutating func waitForStore(_ item: RelayWorkItem, readAt: Int64, now: ContinuousClock.Instant) -> Actions {
        // Revoked or draining meanwhile: it stays unsettled, and is read again.
        guard !self.stopping, self.assigned.contains(item.ticket.partition) else {
            return self.finish(item.ticket, settled: false)
        }
        var actions = Actions()
        guard self.leave(item.ticket) else { return actions }
        self.enterGate(item, readAt: readAt, now: now, &actions)
        self.dispatch(&actions)
        self.checkIdle(&actions)
        return actions
    }

    /// Puts `item` in the gate, holding its partition too when the gate is full.
    mutating func enterGate(
        _ item: RelayWorkItem, readAt: Int64, now: ContinuousClock.Instant, _ actions: inout Actions
    ) {
        let newSource = self.gate.perPartition[item.ticket.partition] == nil
        self.gate.gate(item, timestamp: item.message.timestamp?.milliseconds, readAt: readAt, now: now)
        // A new source while the sources are held must be held too (holds are re-applied only
        // when they change).
        if newSource, self.holdingGatedSources { actions.holdsChanged = true }
        self.updateGatedHold(&actions)
    }

    /// The referee store is through `through` on every `account-created` partition (`nil`:
    /// not known for some): the waiting records it reached are settled at once when
    /// `notReferred` says so (returned, to be counted as skipped), else queue for a slot again,
    /// ahead of newer records (they are older, and hold their partitions' commits).
    mutating func releaseFromStore(
        through: Int64?, now: ContinuousClock.Instant, wait: Duration,
        notReferred: (RelayWorkItem) -> Bool = { _ in false }
    ) -> ([RelayWorkItem], Actions) {
        var actions = Actions()
        guard !self.stopping, self.gate.count > 0 else { return ([], actions) }
        let released = self.gate.release(through: through, now: now, wait: wait)
        guard !released.isEmpty else { return ([], actions) }
        var skipped: [RelayWorkItem] = []
        var queued: [RelayWorkItem] = []
        for item in released {
            if notReferred(item) { skipped.append(item) } else { queued.append(item) }
        }
        for item in skipped {
            self.ledger.settle(item.ticket)
            self.checkWindow(item.ticket.partition, &actions)
        }
        for item in queued.reversed() { self.ready.prepend(item) }
        self.updateGatedHold(&actions)
        self.dispatch(&actions)
        return (skipped, actions)
    }

    /// The referee store learnt `accounts`: their waiting records queue for a slot again, ahead
    /// of newer records.
    mutating func releaseFromStore(accounts: [String]) -> Actions {
        var actions = Actions()
        guard !self.stopping, self.gate.count > 0 else { return actions }
        let released = self.gate.release(accounts: accounts)
        guard !released.isEmpty else { return actions }
        for item in released.reversed() { self.ready.prepend(item) }
        self.updateGatedHold(&actions)
        self.dispatch(&actions)
        return actions
    }

    /// Holds the partitions feeding waiting records from ``Limits/gatedLimit`` of them until half.
    mutating func updateGatedHold(_ actions: inout Actions) {
        let hold = Self.hold(self.holdingGatedSources, self.gate.count, self.limits.gatedLimit)
        if hold != self.holdingGatedSources { actions.holdsChanged = true }
        self.holdingGatedSources = hold
    }

    /// The partitions with records waiting for the store.
    var gatedSources: Set<KafkaTopicPartition> { Set(self.gate.perPartition.keys) }
}
