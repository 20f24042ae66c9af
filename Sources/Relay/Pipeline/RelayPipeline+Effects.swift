import Kafka

extension RelayPipeline {
    /// What a scheduler transition asks for, resolved under the lock, carried out after it.
    struct Effects: Sendable {
        var starts: [(item: RelayWorkItem, worker: PartitionWorker?)] = []
        var resumes: [CheckedContinuation<Void, any Error>] = []
        var idle: [CheckedContinuation<Void, Never>] = []
        /// The partitions to hold from now on, with the version of the state they come from.
        var holds: (version: UInt64, partitions: Set<KafkaTopicPartition>)?
        var overlong: [(partition: KafkaTopicPartition, window: Int64)] = []
        /// Deliveries holding a slot, when that changed (a gauge set per record skipped would
        /// cost a metric update for nothing).
        var inFlight: Int?
    }

    /// Runs a scheduler transition under the lock, then carries out what it asked for.
    @discardableResult
    func update<Result>(_ transition: (inout RelayScheduler) -> (Result, RelayScheduler.Actions)) -> Result {
        let (result, effects) = self.state.withLock { state -> (Result, Effects) in
            let (result, actions) = transition(&state.scheduler)
            return (result, state.effects(of: actions))
        }
        self.perform(effects)
        return result
    }

    /// An MMOLove server's breaker changed: its state is read under the scheduler's lock, so
    /// the last of several changes told out of order still leaves the scheduler right.
    func breakerChanged(_ server: String) {
        self.update { ((), $0.breaker(server, open: self.deliverer.breakers.isOpen(server))) }
    }

    /// Carries out effects; never under the lock.
    func perform(_ effects: Effects) {
        for (item, worker) in effects.starts where worker?.start(item) != true {
            // Its partition's worker has gone (revoked, shutting down): the record was never
            // worked on and stays unsettled, to be redelivered.
            self.update { ((), $0.finish(item.ticket, settled: false)) }
        }
        for waiter in effects.resumes { waiter.resume() }
        for waiter in effects.idle { waiter.resume() }
        for (partition, window) in effects.overlong {
            self.logger.warning(
                "a held record keeps this partition's commit back; reading it pauses",
                metadata: ["partition": "\(partition)", "records_past_it": "\(window)"])
        }
        if let holds = effects.holds { self.applyHolds(holds.partitions, version: holds.version) }
        if let inFlight = effects.inFlight { self.metrics.inFlight(inFlight) }
    }

    /// Makes the consumer hold exactly `partitions`, unless holds from a later state were
    /// applied already (effects run outside the lock, so two of them may cross).
    func applyHolds(_ partitions: Set<KafkaTopicPartition>, version: UInt64) {
        self.appliedHolds.withLock { applied in
            guard version > applied else { return }
            applied = version
            // A hold is a set in the consumer, no I/O: cheap enough under this small lock, which
            // keeps the holds in the order of the states they come from.
            self.consumer.hold(only: partitions)
        }
    }
}

extension RelayPipeline.State {
    /// Resolves a transition's actions into effects: workers for started records, the
    /// continuations of resumed waiters (taken out, so each is resumed exactly once).
    mutating func effects(of actions: RelayScheduler.Actions) -> RelayPipeline.Effects {
        var effects = RelayPipeline.Effects()
        effects.starts = actions.start.map { ($0, self.workers[$0.ticket.partition]) }
        // A waiter missing here was cancelled meanwhile; its task ends the record itself.
        effects.resumes = actions.resume.compactMap { self.slotWaiters.removeValue(forKey: $0) }
        for waiter in actions.idle {
            switch self.idleWaiters[waiter] {
            case .waiting(let continuation):
                self.idleWaiters[waiter] = nil
                effects.idle.append(continuation)
            case .pending: self.idleWaiters[waiter] = .done
            case .done, nil: break
            }
        }
        if actions.holdsChanged {
            self.holdsVersion += 1
            effects.holds = (self.holdsVersion, self.scheduler.heldPartitions.union(self.mergeHeld))
        }
        effects.overlong = actions.overlong
        if self.scheduler.inWindow != self.reportedInFlight {
            self.reportedInFlight = self.scheduler.inWindow
            effects.inFlight = self.scheduler.inWindow
        }
        return effects
    }
}
