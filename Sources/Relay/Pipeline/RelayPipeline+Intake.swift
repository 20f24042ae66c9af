import Kafka

extension RelayPipeline {
    /// Takes one record: skips settle at once; everything else waits for a window slot.
    func intake(_ message: KafkaConsumerMessage) {
        self.metrics.consumed(topic: message.topic)
        let decision = self.mapper.decide(message)
        var settledEarlier = false
        let flow = self.state.withLock { state -> Bool? in
            let ticket = state.ledger.read(message.topicPartition, offset: message.offset)
            if state.ledger.wasSettledEarlier(ticket) {
                // Settled by this group before the last restart or rebalance (commit metadata):
                // its outcome is already published; doing it again would only duplicate it.
                settledEarlier = true
                state.ledger.settle(ticket)
                return nil
            }
            if case .skip = decision {
                state.ledger.settle(ticket)
                return nil
            }
            guard !state.stopping else { return nil }
            state.backlog.append(Item(message: message, decision: decision, ticket: ticket))
            self.dispatch(&state)
            return self.flowChange(&state)
        }
        if settledEarlier {
            self.metrics.settledEarlier(topic: message.topic)
        } else if case .skip(let reason) = decision {
            self.metrics.skipped(topic: message.topic, reason: reason)
        }
        if let flow { self.fetchDesire.yield(flow) }
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
        let (count, paused) = self.state.withLock { state in
            state.assigned.formUnion(partitions)
            for (partition, offset) in committed { state.ledger.prime(partition, committed: offset) }
            return (state.assigned.count, state.paused)
        }
        self.health.assigned(partitions: count)
        self.metrics.assignedPartitions(count)
        self.logger.info("partitions assigned", metadata: ["partitions": "\(partitions.map(\.description))"])
        // Newly assigned partitions follow the current flow state: pause them when fetching is
        // paused. Never "resume" them otherwise: a resume of a fetching partition makes
        // librdkafka 2.0.2 restart it from the committed offset (records delivered twice).
        if paused { self.fetchDesire.yield(true) }
    }

    /// Starts waiting items while the window has room. Under the lock.
    func dispatch(_ state: inout State) {
        while !state.stopping, state.running.count < self.maxInFlight, let item = state.backlog.popFirst() {
            let task = Task { await self.process(item) }
            state.running[item.ticket] = task
        }
        self.metrics.inFlight(state.running.count)
    }

    /// Whether fetching must now pause (`true`) or resume (`false`); `nil` for no change. Under the lock.
    func flowChange(_ state: inout State) -> Bool? {
        if !state.paused, state.backlog.count >= self.pauseThreshold {
            state.paused = true
            return true
        }
        if state.paused, state.backlog.count <= self.resumeThreshold {
            state.paused = false
            return false
        }
        return nil
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
        self.finish(item.ticket, settled: settled)
    }

    /// Frees the item's slot, settles it when done, and starts the next waiting items.
    func finish(_ ticket: OffsetTicket, settled: Bool) {
        let flow = self.state.withLock { state -> Bool? in
            state.running[ticket] = nil
            if settled { state.ledger.settle(ticket) }
            self.dispatch(&state)
            return self.flowChange(&state)
        }
        if let flow { self.fetchDesire.yield(flow) }
    }
}
