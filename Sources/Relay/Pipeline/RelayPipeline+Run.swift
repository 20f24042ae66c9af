import Kafka
import ServiceLifecycle

extension RelayPipeline {
    /// Subscribes, runs until graceful shutdown (or a fatal error), then drains, commits, leaves
    /// the group and closes the producer. Every task it starts is a child of this call.
    ///
    /// - Throws: A fatal Kafka error, after the drain; graceful shutdown returns normally.
    public func run() async throws {
        // The referee store first: no record is taken before the local copy holds what the
        // topic held at start (a milestone would not find its token).
        let following: Task<Void, any Error>? = try await self.startReferees()
        defer { following?.cancel() }
        do {
            let outputs =
                [self.topics.outcomes, self.topics.dlq] + (self.referees == nil ? [] : [self.topics.referees])
            try await self.producer.prepare(topics: outputs)
        } catch {
            // Only the first record to each topic waits longer (about a second).
            self.logger.warning("could not look up the output topics ahead", metadata: ["error": "\(error)"])
        }
        if let replay {
            // A backfill reads its window by manual assignment, in its own group's name.
            try await self.startReplay(replay)
        } else {
            try await self.consumer.subscribe(topics: [self.topics.accountCreated, self.topics.milestoneReached])
            self.logger.info(
                "relay consuming",
                metadata: ["topics": "\(self.topics.accountCreated),\(self.topics.milestoneReached)"]
            )
        }
        await withDiscardingTaskGroup { group in
            // Graceful shutdown does not end the intake: it keeps serving rebalances until the
            // consumer closes (records are no longer taken once draining), so a partition revoked
            // while draining is committed and released in order. Unserved, the revocation held
            // the poll thread for the whole revocation timeout, the member fell out of the
            // group's generation, and its final commit was refused for every partition.
            group.addTask {
                await self.intakeLoop()
                self.stop.yield()
            }
            group.addTask { await self.commitLoop() }
            group.addTask { await self.commitTicker() }
            group.addTask { await self.runWorkers() }
            if self.referees != nil {
                // The live relay writes the store's progress; a backfill uses its own.
                if self.replay == nil { group.addTask { await self.refereeProgressTicker() } }
                group.addTask { await self.refereeGateLoop() }
                group.addTask { await self.slowRegistrationLoop() }
            }
            if self.replay != nil {
                group.addTask { await self.replayTicker() }
            } else {
                group.addTask { await self.statisticsLoop() }
                group.addTask { await self.progressTicker(every: self.progressInterval) }
            }
            await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    // Until graceful shutdown, a fatal error, or the intake ended.
                    for await _ in self.stops { break }
                } onGracefulShutdown: {
                    self.stop.yield()
                }
            } onCancel: {
                self.stop.yield()
            }
            await self.drain()
            await self.commitAtShutdown()
            await self.consumer.close()
            self.commits.close()
            // The periodic tickers sleep until cancelled (the progress ticker then logs what the
            // drain settled).
            group.cancelAll()
            // Before the group waits for its children: a send waits for its delivery report,
            // which a broker that is gone sends only when `message.timeout.ms` (300 s) runs
            // out, and cancellation does not withdraw it. A referee progress record in flight,
            // or the store write of a record the drain gave up on, held a relay told to stop
            // for five minutes. Closing flushes for 10 s and then fails what is still queued.
            // Every settled record's outputs were acknowledged before it settled; with the
            // broker gone the final commit fails too, and those records are read again by the
            // next owner (duplicates MMOLove's idempotency keys absorb), never lost.
            await self.producer.close(timeout: .seconds(10))
        }
        if let referees {
            await referees.close()
            _ = await following?.result
        }
        self.logger.info("relay stopped")
        if let failure = self.state.withLock({ $0.failure }) {
            throw failure
        }
    }

    /// Records a fatal failure and stops intake; ``run()`` then drains and rethrows it.
    func fail(_ error: any Error) {
        self.state.withLock { state in
            if state.failure == nil { state.failure = error }
        }
        self.health.fatal("\(error)")
        self.logger.critical("relay stopping on a fatal error", metadata: ["error": "\(error)"])
        self.stop.yield()
    }

    /// Reads the consumer's events until the consumer closes (or fails, or the relay is
    /// cancelled).
    private func intakeLoop() async {
        do {
            var taken = 0
            for try await event in self.consumer.events {
                switch event {
                case .message(let message):
                    if self.replay != nil { self.intakeReplay(message) } else { self.intake(message) }
                    // Buffered records are handed over without suspending: let the other
                    // tasks of this thread run now and then.
                    taken += 1
                    if taken % 256 == 0 { await Task.yield() }
                case .assigned(let partitions):
                    await self.assign(partitions)
                case .revoked(let revocation):
                    await self.revoke(revocation)
                }
            }
        } catch is CancellationError {
        } catch {
            self.fail(error)
        }
    }

    /// Runs each partition's worker as a child task, until shutdown finishes the workers.
    private func runWorkers() async {
        await withDiscardingTaskGroup { workers in
            for await worker in self.spawns {
                workers.addTask { await worker.run { item in await self.process(item) } }
            }
        }
    }

    /// The one task that commits: serves commit requests in order until ``CommitRequests``
    /// is closed (not on cancellation: a cancelled relay still makes its final commit).
    private func commitLoop() async {
        while let request = await self.commits.next() {
            let ok = await self.commitNow(in: request.partitions)
            self.commits.served(request)
            request.reply?.resume(returning: ok)
        }
    }

    /// Asks for a commit of every partition every ``commitInterval``.
    private func commitTicker() async {
        while (try? await Task.sleep(for: self.commitInterval)) != nil {
            self.commits.commitPeriodically()
            self.checkHeldPartitions()
            self.reportOldestUnsettled()
        }
    }
}

extension RelayPipeline {
    /// Reports to `/readyz` the partitions whose oldest unsettled record has held their commit
    /// for at least ``heldPartitionReadiness`` (ready again once each moves), naming the record
    /// and, when the publisher knows, what holds it.
    func checkHeldPartitions() {
        let oldest = self.state.withLock { $0.scheduler.ledger.oldestUnsettled }
        let now = ContinuousClock.now
        let held = self.heldPartitions.withLock { heldPartitions in
            heldPartitions.update(oldestUnsettled: oldest, now: now, limit: self.heldPartitionReadiness)
        }
        guard !held.isEmpty else {
            self.health.heldPartitions(nil)
            return
        }
        let descriptions = held.map { held in
            let seconds = (now - held.since).components.seconds
            let cause =
                self.publishProblems.problem(held.partition, offset: held.offset)
                ?? "its delivery or publish has not finished"
            return "partition \(held.partition) held \(seconds) s by offset \(held.offset) (\(cause))"
        }
        self.health.heldPartitions(descriptions.joined(separator: "; "))
    }
}
