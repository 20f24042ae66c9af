import Kafka

extension RelayPipeline {
    /// A backfill's progress: per input topic, the records of the window settled so far (a
    /// resumed run counts what earlier runs of its name settled) and the window's size.
    public struct ReplayProgress: Sendable, Hashable {
        /// Per topic: settled records and records in the window.
        public var topics: [String: (done: Int64, total: Int64)]

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.topics.mapValues { [$0.done, $0.total] } == rhs.topics.mapValues { [$0.done, $0.total] }
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(self.topics.mapValues { [$0.done, $0.total] })
        }
    }

    /// Whether the backfill settled every record of its window (`false` for the live relay, or
    /// a backfill stopped before the end).
    public var replayCompleted: Bool { self.state.withLock { $0.replayCompleted } }

    /// Records of the window that earlier runs of the same name settled: skipped by resuming
    /// from their commit, or on sight from their commit metadata.
    public var replayResumedRecords: Int64 {
        self.state.withLock { $0.replayResumed } + Int64(self.tally.snapshot.settledEarlier)
    }

    /// The backfill's progress now; `nil` for the live relay.
    public var replayProgress: ReplayProgress? {
        guard let replay else { return nil }
        return self.state.withLock { state in
            var topics: [String: (done: Int64, total: Int64)] = [:]
            for (partition, range) in replay.plan.ranges {
                let through = min(
                    range.upperBound, max(range.lowerBound, state.scheduler.ledger.settledThrough(partition) ?? 0))
                let done = state.replayCompleted ? Int64(range.count) : through - range.lowerBound
                topics[partition.topic, default: (0, 0)].done += done
                topics[partition.topic, default: (0, 0)].total += Int64(range.count)
            }
            return ReplayProgress(topics: topics)
        }
    }

    /// Where reading `partition` ends: a backfill's window end, else the client's last known
    /// end offset of the partition.
    func readLimit(of partition: KafkaTopicPartition) -> Int64? {
        if let replay { return replay.plan.ranges[partition]?.upperBound }
        return self.consumer.cachedHighWatermark(partition)
    }

    /// Starts a backfill's reading: the partitions with records in the window, each from the
    /// group's committed offset when an earlier run of the same name got that far, else from
    /// the window's start. Their ledgers are primed as for a group assignment, so records an
    /// earlier run settled are not sent again.
    func startReplay(_ replay: ReplayRun) async throws {
        let partitions = replay.plan.ranges.filter { !$0.value.isEmpty }.map(\.key).sorted {
            $0.description < $1.description
        }
        var committed: [KafkaTopicPartition: KafkaCommittedOffset] = [:]
        if !partitions.isEmpty { committed = try await self.consumer.committedWithMetadata(partitions) }
        var starts: [KafkaTopicPartition: Int64] = [:]
        for partition in partitions {
            let range = replay.plan.ranges[partition]!
            let resumeAt = committed[partition].map(\.offset).flatMap { $0 >= 0 ? $0 : nil } ?? range.lowerBound
            starts[partition] = min(max(resumeAt, range.lowerBound), range.upperBound)
        }
        let (count, workers, effects) = self.state.withLock { state in
            // Resumed partitions already read to their end are finished before they start.
            state.merge = TimestampMerge(
                starts: starts, ends: replay.plan.ranges.mapValues(\.upperBound), lookahead: replay.lookahead,
                dependencyTopic: self.topics.accountCreated)
            var workers: [PartitionWorker] = []
            for partition in partitions {
                let worker = PartitionWorker()
                state.workers[partition] = worker
                workers.append(worker)
            }
            var primed = committed
            for partition in partitions where primed[partition] == nil || primed[partition]!.offset < 0 {
                primed[partition] = KafkaCommittedOffset(offset: starts[partition]!, metadata: nil)
            }
            let actions = state.scheduler.assign(partitions, committed: primed)
            state.mergeHeld = state.merge!.held
            state.replayResumed = partitions.reduce(0) { $0 + starts[$1]! - replay.plan.ranges[$1]!.lowerBound }
            return (partitions.count, workers, state.effects(of: actions))
        }
        for worker in workers { self.spawn.yield(worker) }
        self.perform(effects)
        try await self.consumer.assign(starts.filter { $0.value < replay.plan.ranges[$0.key]!.upperBound })
        self.health.assigned(partitions: count)
        self.metrics.assignedPartitions(count)
        let totals = replay.plan.totals
        self.logger.info(
            "backfill reading",
            metadata: [
                "run": "\(replay.window.name)",
                "records": "\(totals.values.reduce(0, +))",
                "resumed_partitions": "\(committed.values.filter { $0.offset >= 0 }.count)",
            ])
    }

    /// Takes a consumed record of a backfill: into the timestamp merge, and what the merge
    /// releases into the scheduler. Records past the window's end are ignored (never read in
    /// the ledger, so never committed: the window's end is where this group stops).
    func intakeReplay(_ message: KafkaConsumerMessage?) {
        // One hand-over at a time (the intake loop and the pump ticker both call this): records
        // must enter the scheduler in the order the merge released them.
        self.mergeHandover.withLock { _ in
            let (released, holds) = self.state.withLock { state -> ([KafkaConsumerMessage], Effects) in
                guard state.merge != nil else { return ([], Effects()) }
                if let message, !state.merge!.add(message) { return ([], Effects()) }
                let released = state.merge!.release(blocked: state.scheduler.heldUntilSettled)
                var effects = Effects()
                let held = state.merge!.held
                if held != state.mergeHeld {
                    state.mergeHeld = held
                    var actions = RelayScheduler.Actions()
                    actions.holdsChanged = true
                    effects = state.effects(of: actions)
                }
                return (released, effects)
            }
            self.perform(holds)
            for record in released { self.intake(record) }
        }
    }

    /// A backfill's clock: every 100 ms it hands over what the merge may release now (a hold
    /// that lifted, with no new record arriving to trigger it) and ends the run once the window
    /// is read and every record of it settled. A batch job's poll, not the live relay's path.
    func replayTicker() async {
        while (try? await Task.sleep(for: .milliseconds(100))) != nil {
            self.intakeReplay(nil)
            let done = self.state.withLock { state -> Bool in
                // Milestones waiting for the referee store count too: without them in the check,
                // a run could end "finished" before the gate loop's next tick let them go
                // (unsent, unsettled, not in the summary).
                guard !state.replayCompleted, state.merge?.isDone == true, !state.scheduler.hasWork
                else { return false }
                state.replayCompleted = true
                return true
            }
            if done {
                self.logger.info("backfill window settled", metadata: ["run": "\(self.replay?.window.name ?? "")"])
                self.stop.yield()
                return
            }
        }
    }
}
