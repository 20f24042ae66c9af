import Kafka

extension RelayPipeline {
    /// Takes one record: skips settle at once; everything else waits for a window slot.
    func intake(_ message: KafkaConsumerMessage) {
        self.metrics.consumed(topic: message.topic)
        let decision = self.mapper.decide(message)
        var settledEarlier = false
        let flow = self.state.withLock { state -> Bool in
            let ticket = state.ledger.read(message.topicPartition, offset: message.offset)
            let overlong = self.windowChange(&state, message.topicPartition)
            if state.ledger.wasSettledEarlier(ticket) {
                // Settled by this group before the last restart or rebalance (commit metadata):
                // its outcome is already published; doing it again would only duplicate it.
                settledEarlier = true
                state.ledger.settle(ticket)
                return self.windowChange(&state, message.topicPartition) || overlong
            }
            if case .skip = decision {
                state.ledger.settle(ticket)
                return self.windowChange(&state, message.topicPartition) || overlong
            }
            guard !state.stopping else { return overlong }
            let item = Item(message: message, decision: decision, ticket: ticket, sequence: state.nextSequence)
            state.nextSequence += 1
            if item.mayWait {
                state.dependents.append(item)
                state.dependentSources.insert(message.topicPartition)
            } else {
                state.backlog.append(item)
            }
            self.dispatch(&state)
            return self.flowChange(&state) || overlong
        }
        if settledEarlier {
            self.metrics.settledEarlier(topic: message.topic)
        } else if case .skip(let reason) = decision {
            self.metrics.skipped(topic: message.topic, reason: reason)
        }
        if flow { self.fetchDesire.yield() }
    }

    /// Records a (cooperative, incremental) assignment, priming each partition's ledger with the
    /// group's committed offset and the offsets settled beyond it (commit metadata). Runs before
    /// any record of these partitions is taken (the intake loop is sequential).
    func assign(_ partitions: [KafkaTopicPartition]) async {
        var committed: [KafkaTopicPartition: KafkaCommittedOffset] = [:]
        do {
            committed = try await self.consumer.committedWithMetadata(partitions)
        } catch {
            // Without it, records settled past the commit are redone: duplicates, never losses.
            self.logger.warning("reading committed offsets failed", metadata: ["error": "\(error)"])
        }
        let count = self.state.withLock { state in
            state.assigned.formUnion(partitions)
            for (partition, offset) in committed { state.ledger.prime(partition, committed: offset) }
            return state.assigned.count
        }
        self.health.assigned(partitions: count)
        self.metrics.assignedPartitions(count)
        self.logger.info("partitions assigned", metadata: ["partitions": "\(partitions.map(\.description))"])
        // Newly assigned partitions follow the current flow state (paused at once if fetching
        // is); the flow loop only ever resumes partitions it paused itself, since a resume of a
        // fetching partition makes librdkafka 2.0.2 restart it from the committed offset.
        self.fetchDesire.yield()
    }

    /// Starts waiting items while the window has room. Under the lock.
    func dispatch(_ state: inout State) {
        while !state.stopping, let item = self.nextItem(&state) {
            let task = Task { await self.process(item) }
            state.running[item.ticket] = task
            if !item.mayWait { state.independentRunning += 1 }
        }
        self.metrics.inFlight(state.running.count)
    }

    /// The oldest waiting item allowed to start now, taken off its backlog. Under the lock.
    ///
    /// A window full of `qualified` events waiting (422) for their `registered` would hold
    /// those very `registered` events in the backlog until the wait runs out, and every one
    /// would end `rejected`. So a record that never waits for others may start even when the
    /// window is full, as long as no such record is running: the window overshoots by at
    /// most one, and the `registered` events keep going through.
    func nextItem(_ state: inout State) -> Item? {
        let open = state.running.count < self.maxInFlight
        let independent = open || state.independentRunning == 0 ? state.backlog.first : nil
        let dependent = open ? state.dependents.first : nil
        switch (independent, dependent) {
        case (let independent?, let dependent?):
            return independent.sequence < dependent.sequence ? state.backlog.popFirst() : state.dependents.popFirst()
        case (.some, nil): return state.backlog.popFirst()
        case (nil, .some): return state.dependents.popFirst()
        case (nil, nil): return nil
        }
    }

    /// Updates which fetching is paused from the backlogs' sizes; `true` when it changed. Under
    /// the lock.
    func flowChange(_ state: inout State) -> Bool {
        let all = Self.hold(state.pausedAll, waiting: state.backlog.count, self.pauseThreshold, self.resumeThreshold)
        let dependents = Self.hold(
            state.pausedDependents, waiting: state.dependents.count, self.pauseThreshold, self.resumeThreshold)
        defer { (state.pausedAll, state.pausedDependents) = (all, dependents) }
        return all != state.pausedAll || dependents != state.pausedDependents
    }

    /// Pauses a partition read too far past its oldest unsettled record, resumes it at half;
    /// `true` when that changed. Under the lock.
    func windowChange(_ state: inout State, _ partition: KafkaTopicPartition) -> Bool {
        let window = state.ledger.window(partition)
        let holding = state.overlongPartitions.contains(partition)
        let hold = holding ? window > self.ledgerWindowLimit / 2 : window >= self.ledgerWindowLimit
        guard hold != holding else { return false }
        if hold {
            state.overlongPartitions.insert(partition)
            self.logger.warning(
                "a held record keeps this partition's commit back; fetching it pauses",
                metadata: ["partition": "\(partition)", "records_past_it": "\(window)"])
        } else {
            state.overlongPartitions.remove(partition)
        }
        return true
    }

    /// Hysteresis: hold from `pause` waiting records until down to `resume`.
    private static func hold(_ holding: Bool, waiting: Int, _ pause: Int, _ resume: Int) -> Bool {
        holding ? waiting > resume : waiting >= pause
    }

    /// Delivers or dead-letters one item, then settles it (or leaves it unsettled when cancelled).
    func process(_ item: Item) async {
        var settled = false
        do {
            switch item.decision {
            case .deliver(let request):
                let result = try await self.deliverer.deliver(request)
                try await self.publisher.publish(request: request, result: result, source: item.message)
            case .malformed(let reason):
                try await self.publisher.publishMalformed(item.message, reason: reason)
            case .skip:
                break
            }
            settled = true
        } catch is CancellationError {
            self.logger.debug(
                "record abandoned unsettled; it will be redelivered",
                metadata: ["partition": "\(item.ticket.partition)", "offset": "\(item.ticket.offset)"]
            )
        } catch {
            if Task.isCancelled {
                self.logger.debug("record abandoned unsettled; it will be redelivered")
            } else {
                self.fail(error)
            }
        }
        self.finish(item, settled: settled)
    }

    /// Frees the item's slot, settles it when done, and starts the next waiting items.
    func finish(_ item: Item, settled: Bool) {
        let flow = self.state.withLock { state -> Bool in
            state.running[item.ticket] = nil
            if !item.mayWait { state.independentRunning -= 1 }
            var overlong = false
            if settled {
                state.ledger.settle(item.ticket)
                overlong = self.windowChange(&state, item.ticket.partition)
            }
            self.dispatch(&state)
            return self.flowChange(&state) || overlong
        }
        if flow { self.fetchDesire.yield() }
    }
}
