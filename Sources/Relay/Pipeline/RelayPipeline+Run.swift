import Kafka
import ServiceLifecycle

extension RelayPipeline {
    /// Subscribes, runs until graceful shutdown (or a fatal error), then drains, commits, leaves
    /// the group and closes the producer.
    ///
    /// - Throws: A fatal Kafka error, after the drain; graceful shutdown returns normally.
    public func run() async throws {
        try await self.consumer.subscribe(topics: [self.topics.accountCreated, self.topics.milestoneReached])
        self.logger.info(
            "relay consuming",
            metadata: ["topics": "\(self.topics.accountCreated),\(self.topics.milestoneReached)"]
        )
        let (stops, stop) = AsyncStream.makeStream(of: Void.self)
        // Graceful shutdown does not end the intake loop: it keeps serving rebalances until the
        // consumer closes (records are no longer taken once draining). A partition revoked while
        // draining is then committed and released in order. Unserved, the revocation held the
        // poll thread for the whole revocation timeout, the member fell out of the group's
        // generation, and its final commit was refused for every partition.
        let intake = Task {
            defer { stop.yield() }
            do {
                try await self.intakeLoop()
            } catch is CancellationError {
            } catch {
                self.fail(error)
            }
        }
        self.state.withLock { $0.intake = intake }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.flowControlLoop() }
            group.addTask { await self.commitLoop() }
            await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    // Until graceful shutdown, or the intake ended (fatal error, cancellation).
                    for await _ in stops { break }
                } onGracefulShutdown: {
                    stop.yield()
                }
            } onCancel: {
                intake.cancel()
            }
            await self.drain()
            self.fetchDesire.finish()
            group.cancelAll()
        }
        await self.commitAtShutdown()
        await self.consumer.close()
        intake.cancel()
        await intake.value
        await self.producer.close(timeout: .seconds(10))
        self.logger.info("relay stopped")
        if let failure = self.state.withLock({ $0.failure }) {
            throw failure
        }
    }

    /// Records a fatal failure and stops intake; ``run()`` then drains and rethrows it.
    func fail(_ error: any Error) {
        let intake = self.state.withLock { state -> Task<Void, Never>? in
            if state.failure == nil { state.failure = error }
            return state.intake
        }
        self.health.fatal("\(error)")
        self.logger.critical("relay stopping on a fatal error", metadata: ["error": "\(error)"])
        intake?.cancel()
    }

    /// Reads the consumer's events until cancelled or the consumer ends.
    private func intakeLoop() async throws {
        for try await event in self.consumer.events {
            switch event {
            case .message(let message):
                self.intake(message)
            case .assigned(let partitions):
                await self.assign(partitions)
            case .revoked(let revocation):
                await self.revoke(revocation)
            }
        }
    }

    /// Makes the consumer's paused partitions follow ``State/pausedPartitions``.
    ///
    /// Level-triggered (each signal reads the state as it is now), so signals sent outside the
    /// lock cannot be applied out of order. Only partitions this loop paused are resumed:
    /// librdkafka 2.0.2 rewinds a partition that is resumed while not paused.
    private func flowControlLoop() async {
        var paused: Set<KafkaTopicPartition> = []
        for await _ in self.fetchDesires {
            let wanted = self.state.withLock { $0.pausedPartitions }
            let pause = wanted.subtracting(paused)
            let resume = paused.subtracting(wanted)
            if !pause.isEmpty {
                paused.formUnion(pause)
                do {
                    try await self.consumer.pause(Array(pause))
                    self.logger.debug("in-flight window full; fetching paused", metadata: ["count": "\(pause.count)"])
                } catch {
                    self.logger.warning("pause failed", metadata: ["error": "\(error)"])
                }
            }
            if !resume.isEmpty {
                // A revoked partition is resumed too: it must not stay paused if it comes back.
                paused.subtract(resume)
                do {
                    try await self.consumer.resume(Array(resume))
                } catch {
                    self.logger.warning("resume failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Commits the settled prefix of every partition every ``commitInterval``.
    private func commitLoop() async {
        while true {
            do {
                try await Task.sleep(for: self.commitInterval)
            } catch {
                return
            }
            _ = await self.commitSettled(in: nil)
        }
    }
}
