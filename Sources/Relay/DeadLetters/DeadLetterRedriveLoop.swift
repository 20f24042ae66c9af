import Kafka
import ServiceLifecycle

/// The read → decide → produce → commit loop of one `dlq redrive` run.
///
/// A class used by one task only (not `Sendable`): the reader's callback and the batch flush
/// both update its counts and positions, and a class keeps that out of `inout` captures.
final class DeadLetterRedriveLoop {
    /// What one send reported.
    private struct SendOutcome: Sendable {
        var partition: KafkaTopicPartition
        var offset: Int64
        var destination: String
        var error: KafkaError?
    }

    /// Dead letters decided (of any kind) before a commit is due even with no send pending, so a
    /// long stretch of filtered-out records is not read again after a stop.
    private static let decidedPerCommit = 500

    private let reader: DeadLetterReader
    private let producer: KafkaProducer?
    private let options: DeadLetterRedrive.Options
    private var summary = RedriveSummary()
    private var bucket: TokenBucket?
    /// Partition count per original topic; `nil` once the topic is known to be missing.
    private var topics: [String: Int?] = [:]
    /// The next offset to read per partition, past every decided dead letter.
    private var positions: [KafkaTopicPartition: Int64] = [:]
    /// What the group has committed in this run.
    private var committed: [KafkaTopicPartition: Int64] = [:]
    private var pendingSends = 0
    private var decidedSinceFlush = 0

    init(reader: DeadLetterReader, producer: KafkaProducer?, options: DeadLetterRedrive.Options) {
        self.reader = reader
        self.producer = producer
        self.options = options
        self.bucket = options.rate.map { TokenBucket(rate: $0) }
    }

    /// Plans from the group's commits (or `--from`), reads to the end offsets captured now, and
    /// returns the counts.
    func run(write: (String) -> Void) async throws -> RedriveSummary {
        let plan = try await reader.plan(from: options.filter.from, resume: true)
        write("dead letters to read: \(plan.recordCount) in \(plan.ranges.count) partition(s)")
        let clock = ContinuousClock()
        let origin = clock.now
        try await withThrowingTaskGroup(of: SendOutcome.self) { group in
            let unfinished = try await reader.read(plan) { message in
                let entry = DeadLetterEntry(message: message)
                let decision = await self.decide(entry)
                self.summary.read += 1
                if case .redrive(let topic) = decision {
                    if !self.options.dryRun, let wait = self.bucket?.take(at: clock.now - origin), wait > .zero {
                        // Commit what is acknowledged before idling, so a stop loses nothing.
                        try await self.flush(&group)
                        try await Task.sleep(for: wait)
                    }
                    self.send(entry, to: topic, in: &group)
                }
                self.positions[message.topicPartition] = message.offset + 1
                self.decidedSinceFlush += 1
                if self.pendingSends >= self.options.batchSize || self.decidedSinceFlush >= Self.decidedPerCommit {
                    try await self.flush(&group)
                }
                if let stopAfter = self.options.stopAfter, self.summary.redriven >= stopAfter { return false }
                // SIGTERM/SIGINT through a ServiceGroup: stop between records, so the flush below
                // commits every acknowledged send and a resumed run repeats nothing.
                if Task.isShuttingDownGracefully {
                    self.summary.interrupted = true
                    return false
                }
                return true
            }
            try await self.flush(&group)
            try DeadLetterList.checkFinished(unfinished, plan: plan)
        }
        return summary
    }

    /// The decision for `entry`, counting matches and skips; a destination the cluster does
    /// not have becomes a skip rather than a produce that would fail after its timeout.
    private func decide(_ entry: DeadLetterEntry) async -> RedriveDecision {
        var decision = options.filter.decision(for: entry, run: options.run, deadLetterTopic: reader.topic)
        if case .redrive(let topic) = decision, await partitionCount(of: topic) == nil {
            decision = .skip(.originalTopicMissing(topic))
        }
        switch decision {
        case .notMatched:
            break
        case .skip(let reason):
            summary.matched += 1
            summary.skipped[reason.description, default: 0] += 1
        case .redrive(let topic):
            summary.matched += 1
            summary.countRedriven(entry, topic: topic, keepingSamples: options.sampleSize)
        }
        return decision
    }

    /// Starts producing the re-driven record of `entry` (nothing in a dry run).
    private func send(
        _ entry: DeadLetterEntry, to topic: String, in group: inout ThrowingTaskGroup<SendOutcome, any Error>
    ) {
        guard let producer, var record = DeadLetter.redriveRecord(for: entry.message, run: options.run) else { return }
        // A partition the topic no longer has (it was recreated smaller) is left to the partitioner.
        if let partition = record.partition, let count = topics[topic] ?? nil, partition >= count {
            record.partition = nil
        }
        let source = entry.message.topicPartition
        let offset = entry.message.offset
        pendingSends += 1
        group.addTask {
            do throws(KafkaError) {
                _ = try await producer.send(record)
                return SendOutcome(partition: source, offset: offset, destination: topic, error: nil)
            } catch {
                return SendOutcome(partition: source, offset: offset, destination: topic, error: error)
            }
        }
    }

    /// Waits for every send in flight, then commits the positions they cover; a failed send
    /// holds its partition's commit at the failed dead letter and ends the run.
    private func flush(_ group: inout ThrowingTaskGroup<SendOutcome, any Error>) async throws {
        var failures: [KafkaTopicPartition: SendOutcome] = [:]
        while let outcome = try await group.next() {
            guard outcome.error != nil else { continue }
            if failures[outcome.partition].map({ outcome.offset < $0.offset }) ?? true {
                failures[outcome.partition] = outcome
            }
        }
        pendingSends = 0
        decidedSinceFlush = 0
        var offsets = positions
        for (partition, failure) in failures { offsets[partition] = failure.offset }
        let due = offsets.filter { committed[$0.key] != $0.value }
        if !options.dryRun, !due.isEmpty {
            do {
                try await reader.consumer.commit(due)
            } catch {
                throw DeadLetterToolError(code: .kafka, reason: "committing the run's offsets: \(error)")
            }
            committed.merge(due) { _, new in new }
        }
        if let failure = failures.values.min(by: { $0.offset < $1.offset }) {
            throw DeadLetterToolError(
                code: .kafka,
                reason: "producing \(failure.partition.topic)/\(failure.partition.partition)/\(failure.offset) "
                    + "to \(failure.destination) failed: \(failure.error.map { "\($0)" } ?? "unknown"); "
                    + "offsets are committed up to it, so the same command resumes there"
            )
        }
    }

    /// The partition count of `topic`, or `nil` when the cluster does not have it (asked once).
    private func partitionCount(of topic: String) async -> Int? {
        if let known = topics[topic] { return known }
        let count = try? await reader.consumer.partitions(of: topic).count
        topics[topic] = .some(count)
        return count
    }
}
