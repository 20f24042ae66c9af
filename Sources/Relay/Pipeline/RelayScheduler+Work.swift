import Kafka

extension RelayScheduler {
    /// Takes a consumed record, read at `now`: settles it at once when there is nothing to do,
    /// otherwise queues it for a slot (and starts what fits), or, with `waitForStore` (Unix
    /// milliseconds now), puts it straight in the referee gate (see
    /// ``waitForStore(_:readAt:now:)``).
    mutating func receive(
        _ message: KafkaConsumerMessage,
        _ decision: RelayDecision,
        at now: ContinuousClock.Instant = .now,
        waitForStore: Int64? = nil
    ) -> (Intake, Actions) {
        let partition = message.topicPartition
        guard let ticket = self.ledger.read(partition, offset: message.offset, at: now) else {
            return (.redelivered, Actions())
        }
        if let timestamp = message.timestamp?.milliseconds { self.lastReadTimestamp[partition] = timestamp }
        var actions = Actions()
        // Nothing to do for a record settled before the last restart (commit metadata) or
        // one that is not a referral: it settles at once.
        let settledNow: Intake? =
            self.ledger.wasSettledEarlier(ticket) ? .settledEarlier : (decision.isSkip ? .skipped : nil)
        if settledNow != nil { self.ledger.settle(ticket) }
        self.checkWindow(partition, &actions)
        if let settledNow { return (settledNow, actions) }
        guard !self.stopping else { return (.dropped, actions) }
        if partition.topic == self.dependencyTopic {
            self.dependencyWork.insert(
                ticket, timestamp: message.timestamp?.milliseconds, accountID: decision.registeredAccountID)
        }
        let item = RelayWorkItem(message: message, decision: decision, ticket: ticket)
        if let readAt = waitForStore {
            self.enterGate(item, readAt: readAt, now: now, &actions)
            return (.queued, actions)
        }
        self.ready.append(item)
        self.dispatch(&actions)
        return (.queued, actions)
    }

    /// A started record's work ended, settled or not (abandoned: redelivered later).
    mutating func finish(_ ticket: OffsetTicket, settled: Bool) -> Actions {
        var actions = Actions()
        guard self.leave(ticket) else { return actions }
        self.dependencyWork.remove(ticket)
        if settled {
            self.ledger.settle(ticket)
            self.checkWindow(ticket.partition, &actions)
        }
        self.dispatch(&actions)
        self.checkIdle(&actions)
        return actions
    }

    /// Forgets a started record's place (its slot, or its parked count); `false` when it was
    /// not started (finished already).
    mutating func leave(_ ticket: OffsetTicket) -> Bool {
        guard let place = self.started.removeValue(forKey: ticket) else { return false }
        switch place {
        case .window: self.inWindow -= 1
        case .parked:
            self.parked -= 1
            self.parkedPerPartition.countDown(ticket.partition)
        case .resuming(let waiter):
            // Abandoned while queued for a slot.
            self.resuming.removeAll { $0.waiter == waiter }
            self.parkedPerPartition.countDown(ticket.partition)
        }
        self.startedPerPartition.countDown(ticket.partition)
        // The last started delivery of a server whose breaker is open: one of its waiting
        // records starts next, to probe it.
        if let prober = self.blocked.ended(ticket) { self.ready.prepend(prober) }
        return true
    }

    /// A delivery in the window waits for another record: it gives its slot back.
    mutating func park(_ ticket: OffsetTicket) -> Actions {
        var actions = Actions()
        guard self.started[ticket] == .window else { return actions }
        self.started[ticket] = .parked
        self.inWindow -= 1
        self.parked += 1
        self.parkedPerPartition[ticket.partition, default: 0] += 1
        self.dispatch(&actions)
        return actions
    }

    /// An MMOLove server's circuit breaker opened or closed. Closed: its waiting records queue
    /// for slots again, ahead of newer records (they were read first and hold their commits).
    mutating func breaker(_ server: String, open: Bool) -> Actions {
        var actions = Actions()
        for item in self.blocked.set(server, open: open).reversed() { self.ready.prepend(item) }
        self.dispatch(&actions)
        return actions
    }

    /// A parked delivery woke up and needs a slot to go on: `waiter` is resumed once it has
    /// one (maybe at once, in the returned actions).
    mutating func unpark(_ ticket: OffsetTicket, waiter: UInt64) -> Actions {
        var actions = Actions()
        guard self.started[ticket] == .parked else {
            // Not parked (finished or revoked meanwhile): let it go on and find out.
            actions.resume.append(waiter)
            return actions
        }
        self.parked -= 1
        self.started[ticket] = .resuming(waiter)
        self.resuming.append((ticket, waiter))
        self.dispatch(&actions)
        return actions
    }

    /// Fills free slots, alternating between woken deliveries and new records when both wait.
    mutating func dispatch(_ actions: inout Actions) {
        while self.inWindow < self.limits.maxInFlight, !self.stopping || !self.resuming.isEmpty {
            let serveResuming = !self.resuming.isEmpty && (self.resumingTurn || self.ready.isEmpty || self.stopping)
            if serveResuming {
                let (ticket, waiter) = self.resuming.removeFirst()
                self.started[ticket] = .window
                self.parkedPerPartition.countDown(ticket.partition)
                actions.resume.append(waiter)
            } else if let item = self.ready.popFirst() {
                if self.blocked.mustWait(item) {
                    self.blocked.add(item)
                    continue
                }
                self.blocked.started(item)
                self.started[item.ticket] = .window
                self.startedPerPartition[item.ticket.partition, default: 0] += 1
                actions.start.append(item)
            } else {
                break
            }
            self.inWindow += 1
            // The other queue goes next whenever both have someone waiting.
            self.resumingTurn = !serveResuming
        }
        self.updateHolds(&actions)
    }

    /// Holds from a full window's worth of waiting records (or parked deliveries) until half.
    mutating func updateHolds(_ actions: inout Actions) {
        let all = Self.hold(self.holdingAll, self.ready.count, self.limits.maxInFlight)
        // Woken deliveries waiting for a slot count too: a circuit breaker's probe wakes every
        // held delivery at once, and each goes back to waiting. Counted as parked only, the
        // limit let go of the sources at every probe and intake took more each time: 385,504
        // deliveries and 8 GiB behind a failing endpoint with 1,000,000 records backlogged.
        let waiting = self.parked + self.resuming.count + self.blocked.count
        let parked = Self.hold(self.holdingParkedSources, waiting, self.limits.parkedLimit)
        // While held, the sources change as their records park or go on: the holds are applied
        // again whenever they do. A partition that starts feeding parked deliveries after the
        // limit was reached is held too (it kept feeding them without bound when it was not),
        // and one whose last parked record went on is let go.
        let sources = parked ? self.assigned.intersection(self.parkedSources) : []
        if all != self.holdingAll || parked != self.holdingParkedSources || sources != self.heldParkedSources {
            actions.holdsChanged = true
        }
        self.holdingAll = all
        self.holdingParkedSources = parked
        self.heldParkedSources = sources
    }

    /// Hysteresis: hold from `limit` until down to half of it.
    static func hold(_ holding: Bool, _ count: Int, _ limit: Int) -> Bool {
        holding ? count > limit / 2 : count >= limit
    }

    /// Holds a partition read too far past its oldest unsettled record; lets it go at half.
    mutating func checkWindow(_ partition: KafkaTopicPartition, _ actions: inout Actions) {
        let window = self.ledger.window(partition)
        let holding = self.overlong.contains(partition)
        let hold = holding ? window > self.limits.ledgerWindowLimit / 2 : window >= self.limits.ledgerWindowLimit
        guard hold != holding else { return }
        if hold {
            self.overlong.insert(partition)
            actions.overlong.append((partition, window))
        } else {
            self.overlong.remove(partition)
        }
        actions.holdsChanged = true
    }
}
