import Kafka

extension RelayPipeline {
    /// Takes one record: skips settle at once; everything else waits for a window slot.
    func intake(_ message: KafkaConsumerMessage) {
        self.metrics.consumed(topic: message.topic)
        var decision = self.mapper.decide(message)
        let now = ContinuousClock.now
        let waitForStore = self.screenWithReferees(message, &decision)
        let intake = self.update { $0.receive(message, decision, at: now, waitForStore: waitForStore) }
        if self.referees != nil, message.topic == self.topics.accountCreated {
            self.state.withLock {
                $0.refereeProgress.read(
                    partition: message.partition, offset: message.offset, milliseconds: message.timestamp?.milliseconds)
            }
        }
        switch intake {
        case .settledEarlier:
            self.metrics.settledEarlier(topic: message.topic)
            self.tally.settledEarlier()
        case .skipped:
            if case .skip(let reason) = decision {
                self.metrics.skipped(topic: message.topic, reason: reason)
                self.tally.skipped(reason: reason.rawValue)
            }
        case .redelivered:
            self.metrics.redelivered(topic: message.topic)
            self.logger.debug(
                "record delivered again by the consumer; ignored",
                metadata: ["partition": "\(message.topicPartition)", "offset": "\(message.offset)"])
        case .queued, .dropped:
            break
        }
    }

    /// Records an assignment: a worker per partition, and each partition's ledger primed with
    /// the group's committed offset and the offsets settled beyond it (commit metadata). Runs
    /// before any record of these partitions is taken (the intake loop is sequential).
    func assign(_ partitions: [KafkaTopicPartition]) async {
        self.metrics.partitionsAssigned(partitions)
        var committed: [KafkaTopicPartition: KafkaCommittedOffset] = [:]
        do {
            committed = try await self.consumer.committedWithMetadata(partitions)
        } catch {
            // Without it, records settled past the commit are redone: duplicates, never losses.
            self.logger.warning("reading committed offsets failed", metadata: ["error": "\(error)"])
        }
        let (count, workers, effects) = self.state.withLock { state in
            var workers: [PartitionWorker] = []
            for partition in partitions where state.workers[partition] == nil {
                let worker = PartitionWorker()
                state.workers[partition] = worker
                workers.append(worker)
            }
            let actions = state.scheduler.assign(partitions, committed: committed)
            return (state.scheduler.assigned.count, workers, state.effects(of: actions))
        }
        for worker in workers { self.spawn.yield(worker) }
        self.perform(effects)
        self.health.assigned(partitions: count)
        self.metrics.assignedPartitions(count)
        self.logger.info("partitions assigned", metadata: ["partitions": "\(partitions.map(\.description))"])
    }

    /// Delivers or dead-letters one record, then settles it (or leaves it unsettled when
    /// cancelled). Runs as a child task of its partition's worker, holding a window slot; inside
    /// the record's consumer span when tracing is on (its MMOLove requests, outcome, dead letter
    /// and log lines then carry the span's trace context).
    func process(_ item: RelayWorkItem) async {
        await self.tracer.withConsumerSpan(item.message, groupID: self.groupID) {
            await self.work(on: item)
        }
    }

    private func work(on item: RelayWorkItem) async {
        var settled = false
        var waitsForStore = false
        do {
            switch item.decision {
            case .deliver(let mapped):
                var request = mapped
                switch await self.consultReferees(&request, item) {
                case .send where self.referees != nil && request.kind == .registered:
                    try await self.deliverRecordingInStore(request, item)
                case .send:
                    let result = try await self.deliverer.deliver(request, slot: self.slot(for: item))
                    try await self.publisher.publish(request: request, result: result, source: item.message)
                case .waitForStore:
                    waitsForStore = true
                case .notReferred:
                    self.metrics.skipped(topic: item.message.topic, reason: .notReferred)
                    self.tally.skipped(reason: SkipReason.notReferred.rawValue)
                case .registrationFailed(let registration):
                    try await self.publisher.publish(
                        request: request, result: .registrationFailed(registration), source: item.message)
                }
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
        // Not cancelled, and waiting for the store: the record is not done, it waits as a record.
        if waitsForStore, settled {
            let readAt = Self.nowMilliseconds()
            self.update { ((), $0.waitForStore(item, readAt: readAt, now: .now)) }
        } else {
            self.update { ((), $0.finish(item.ticket, settled: settled)) }
        }
    }

    /// Delivers a `registered` and publishes its outcome while the referee store records it.
    /// The store's writes must precede only its settling: `pending` where needed while MMOLove
    /// answers and the outcome is published, then how it ended (after pending: same key, in
    /// order). Awaited before the outcome, the pending write's Kafka round trip and SQLite batch
    /// added 4 ms to bench row 6's p50 and 33 ms to its p99.
    ///
    /// An account the store does not know (nearly every `registered`) goes without a second
    /// task: its delivery is watched (``RegistrationsInFlight``), a slow one gets its `pending`
    /// from ``slowRegistrationLoop()``, and the ending is written after the outcome. An account
    /// the store may know runs ``recordInStore(_:_:)`` beside the delivery, since its `pending`
    /// may be due at once.
    private func deliverRecordingInStore(_ request: DeliveryRequest, _ item: RelayWorkItem) async throws {
        guard let store = self.referees, !store.mayKnow(request.accountID) else {
            return try await self.deliverBesideStoreWrites(request, item)
        }
        let watch = self.registrationsInFlight.withLock { $0.start(request, at: .now) }
        let result: DeliveryResult
        do {
            result = try await self.deliverer.deliver(request, slot: self.slot(for: item))
        } catch {
            // No ending will follow: a `pending` under way stops retrying.
            self.registrationsInFlight.withLock { $0.end(watch) }?.abandon()
            throw error
        }
        let pending = self.registrationsInFlight.withLock { $0.end(watch) }
        do {
            try await self.publisher.publish(request: request, result: result, source: item.message)
            // Its `pending` is being written: the ending goes after it (same key, in order).
            try await pending?.waitUntilWritten()
        } catch {
            pending?.abandon()
            throw error
        }
        try await self.recordRegistration(request, result)
    }

    /// ``deliverRecordingInStore(_:_:)`` for an account the store may know: the store's writes
    /// run in a second task beside the delivery.
    private func deliverBesideStoreWrites(_ request: DeliveryRequest, _ item: RelayWorkItem) async throws {
        let delivered = OneShot<DeliveryResult>()
        async let stored: Void = self.recordInStore(request, delivered)
        let result: DeliveryResult
        do {
            result = try await self.deliverer.deliver(request, slot: self.slot(for: item))
        } catch {
            delivered.resolve(nil)
            throw error
        }
        delivered.resolve(result)
        try await self.publisher.publish(request: request, result: result, source: item.message)
        try await stored
    }
}
