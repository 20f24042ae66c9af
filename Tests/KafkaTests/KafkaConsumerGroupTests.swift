import Kafka
import Synchronization
import TestSupport
import Testing

@testable import Kafka

/// Consumer-group behaviour: two members split the partitions and, when one leaves, the other
/// takes over without losing or re-reading settled (committed) records.
@Suite struct KafkaConsumerGroupTests {
    typealias Support = KafkaTestSupport

    /// A group member that settles records by committing them. A record counts as settled
    /// only once a commit covering it succeeded; the mock refuses commits while the group is
    /// joining or syncing (REBALANCE_IN_PROGRESS, retriable), so pending commits are retried,
    /// and on revocation they are attempted before the partitions are released and then dropped
    /// (the next owner re-reads unsettled records, which at-least-once allows).
    final class Member: Sendable {
        struct Books {
            var pending: [KafkaTopicPartition: [Int64]] = [:]
            var settled: [String] = []
            var assigned: Set<KafkaTopicPartition> = []
            var everAssigned = false
        }

        let consumer: KafkaConsumer
        let books = Mutex(Books())
        let stopped = Atomic<Bool>(false)

        init(consumer: KafkaConsumer) {
            self.consumer = consumer
        }

        var settled: [String] { books.withLock { $0.settled } }
        var assigned: Set<KafkaTopicPartition> { books.withLock { $0.assigned } }

        /// Commits the pending records of `partitions` (all when `nil`); true when none remain.
        @discardableResult
        func commitPending(_ partitions: Set<KafkaTopicPartition>? = nil) async -> Bool {
            let offsets = books.withLock { books in
                books.pending.filter { partitions?.contains($0.key) ?? true }.compactMapValues {
                    $0.max().map { $0 + 1 }
                }
            }
            guard !offsets.isEmpty else { return true }
            do {
                try await consumer.commit(offsets)
            } catch {
                Support.logger.info("commit failed", metadata: ["error": "\(error)"])
                return false
            }
            books.withLock { books in
                for (tp, next) in offsets {
                    let done = books.pending[tp, default: []].filter { $0 < next }
                    books.settled += done.map { "\(tp.partition)/\($0)" }
                    books.pending[tp] = books.pending[tp, default: []].filter { $0 >= next }
                }
            }
            return true
        }

        func run() async throws {
            while !stopped.load(ordering: .relaxed) {
                guard let event = try await consumer.events.next(within: .milliseconds(200)) else {
                    await commitPending()
                    continue
                }
                switch event {
                case .message(let message):
                    books.withLock { $0.pending[message.topicPartition, default: []].append(message.offset) }
                    await commitPending()
                case .assigned(let partitions):
                    books.withLock { books in
                        books.assigned.formUnion(partitions)
                        books.everAssigned = true
                    }
                case .revoked(let revocation):
                    let revoked = Set(revocation.partitions)
                    for _ in 0..<3 where !revocation.isLost {
                        if await commitPending(revoked) { break }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    books.withLock { books in
                        books.assigned.subtract(revoked)
                        for tp in revoked { books.pending[tp] = nil }
                    }
                    revocation.complete()
                }
            }
        }

        func close() async {
            stopped.store(true, ordering: .relaxed)
            await consumer.close()
        }
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    static func eventually(_ timeout: Duration, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    static func produceRound(_ producer: KafkaProducer, topic: String, partitions: Int32, perPartition: Int)
        async throws
    {
        for partition in 0..<partitions {
            try await Support.produce(producer, topic: topic, count: perPartition, partition: partition)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func twoMembersSplitAndTheSurvivorTakesOverWithoutLossOrRereads() async throws {
        let topic = Support.unique("group-split")
        let group = Support.unique("group")
        let partitions: Int32 = 4
        let cluster = try await Support.cluster(topic: topic, partitions: Int(partitions))
        let producer = try Support.producer(cluster)

        // A longer session than the other tests: under a loaded CI box the mock's 4 s session
        // can expire mid-rebalance and send the group round again.
        var configuration = Support.consumerConfiguration(cluster, group: group)
        configuration.sessionTimeout = .seconds(6)
        configuration.heartbeatInterval = .seconds(1)
        let a = Member(consumer: try KafkaConsumer(configuration: configuration, logger: Support.logger))
        let b = Member(consumer: try KafkaConsumer(configuration: configuration, logger: Support.logger))
        let all = Set((0..<partitions).map { KafkaTopicPartition(topic: topic, partition: $0) })

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await a.run() }
            tasks.addTask { try await b.run() }
            try await a.consumer.subscribe(topics: [topic])
            try await b.consumer.subscribe(topics: [topic])

            let split = try await Self.eventually(.seconds(30)) {
                let (sa, sb) = (a.assigned, b.assigned)
                return !sa.isEmpty && !sb.isEmpty && sa.isDisjoint(with: sb) && sa.union(sb) == all
            }
            #expect(split, "the partitions were not split between the two members")
            // Each round is produced once the group is stable (see the second round below).
            try await Self.produceRound(producer, topic: topic, partitions: partitions, perPartition: 5)
            let firstRound = try await Self.eventually(.seconds(15)) {
                a.settled.count + b.settled.count >= 20
            }
            #expect(firstRound)

            // b leaves the group; a must take over b's partitions. The second round is produced
            // once a owns everything: a commit racing the mock's generation bump at the end of the
            // re-join fails with ILLEGAL_GENERATION, which librdkafka treats as a lost assignment
            // and answers with one more full rebalance (the cause of the occasional ~30 s runs).
            await b.close()
            let tookOver = try await Self.eventually(.seconds(30)) { a.assigned == all }
            #expect(tookOver, "a did not take over all partitions")
            try await Self.produceRound(producer, topic: topic, partitions: partitions, perPartition: 5)
            let secondRound = try await Self.eventually(.seconds(15)) {
                a.settled.count + b.settled.count >= 40
            }
            #expect(secondRound, "a did not settle the second round")
            await a.close()
            try await tasks.waitForAll()
        }

        let settled = a.settled + b.settled
        let expected = Set((0..<partitions).flatMap { p in (0..<10).map { "\(p)/\($0)" } })
        #expect(Set(settled) == expected, "lost records")
        #expect(settled.count == Set(settled).count, "settled records were read again")
        #expect(b.books.withLock { $0.everAssigned }, "b never got partitions")
        await producer.close()
    }

    /// The revoking member keeps its partitions until it completes the revocation: the new
    /// member is assigned only afterwards. The hold (6 s) is longer than the mock's re-join
    /// delay (session timeout minus 1 s = 5 s), so a binding that released the partitions at
    /// once would let the new member in before the hold ends and fail this test.
    @Test(.timeLimit(.minutes(2)))
    func revokedPartitionsAreReleasedOnlyAfterTheRevocationCompletes() async throws {
        let topic = Support.unique("group-hold")
        let group = Support.unique("group")
        let cluster = try await Support.cluster(topic: topic, partitions: 2)
        var configuration = Support.consumerConfiguration(cluster, group: group)
        configuration.sessionTimeout = .seconds(6)
        configuration.heartbeatInterval = .seconds(1)
        configuration.revocationTimeout = .seconds(20)
        let a = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        let b = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        let hold = Duration.seconds(6)
        let clock = ContinuousClock()
        let stamps = Stamps()

        try await a.subscribe(topics: [topic])
        var aEvents = a.events.makeAsyncIterator()
        guard case .assigned(let first)? = try await a.events.next(within: .seconds(20)) else {
            Issue.record("a was not assigned")
            return
        }
        #expect(first.count == 2)

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                try await b.subscribe(topics: [topic])
                while let event = try await b.events.next(within: .seconds(40)) {
                    if case .assigned = event {
                        stamps.bAssigned.withLock { $0 = clock.now }
                        return
                    }
                }
            }
            while let event = try await aEvents.next() {
                if case .revoked(let revocation) = event {
                    try await Task.sleep(for: hold)
                    stamps.completed.withLock { $0 = clock.now }
                    revocation.complete()
                    break
                }
            }
            try await tasks.waitForAll()
        }
        let completed = try #require(stamps.completed.withLock { $0 })
        let assigned = try #require(stamps.bAssigned.withLock { $0 }, "b was never assigned")
        #expect(assigned > completed, "b got partitions before a completed the revocation")
        await a.close()
        await b.close()
    }

    /// A revocation that is not completed in time still releases the partitions, and from then
    /// on this member's commits for them are refused: the coordinator would accept them (it
    /// checks the generation, not ownership) and overwrite the next owner's progress.
    @Test(.timeLimit(.minutes(2)))
    func commitsForPartitionsReleasedAfterATimedOutRevocationAreRefused() async throws {
        let topic = Support.unique("group-late")
        let group = Support.unique("group")
        let cluster = try await Support.cluster(topic: topic, partitions: 2)
        var configuration = Support.consumerConfiguration(cluster, group: group)
        configuration.revocationTimeout = .seconds(1)
        let a = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        let b = try KafkaConsumer(configuration: configuration, logger: Support.logger)

        try await a.subscribe(topics: [topic])
        guard case .assigned(let first)? = try await a.events.next(within: .seconds(20)) else {
            Issue.record("a was not assigned")
            return
        }
        #expect(first.count == 2)
        try await b.subscribe(topics: [topic])
        // a never completes the revocation: it times out after 1 s.
        var revoked: [KafkaTopicPartition] = []
        while revoked.isEmpty, let event = try await a.events.next(within: .seconds(30)) {
            if case .revoked(let revocation) = event { revoked = revocation.partitions }
        }
        let lost = try #require(revoked.first, "a was never asked to give up a partition")
        let kept = try #require(Set(first).subtracting(revoked).first, "a lost every partition")
        var bAssigned: [KafkaTopicPartition] = []
        while !bAssigned.contains(lost), let event = try await b.events.next(within: .seconds(30)) {
            if case .assigned(let partitions) = event { bAssigned += partitions }
        }
        #expect(bAssigned.contains(lost), "b never got the revoked partition")

        let refusal = await #expect(throws: KafkaError.self) { try await a.commit([lost: 5]) }
        #expect(refusal?.code == .state)
        #expect(try await b.committed([lost]) == [:], "a's late commit overwrote b's progress")
        // The partition a kept can still be committed (retrying while the group settles).
        var lastError: KafkaError?
        for _ in 0..<20 {
            lastError = await Self.commitResult(a, [kept: 3])
            guard let error = lastError, error.isRetriable else { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(lastError == nil, "commit for the kept partition failed: \(String(describing: lastError))")
        #expect(try await a.committed([kept]) == [kept: 3])
        await a.close()
        await b.close()
    }

    /// A member whose reader stalls with a full buffer keeps polling: it serves the rebalance
    /// that gives a joining member its share (completing nothing, so the revocation times out),
    /// and it is not kicked out after `max.poll.interval.ms` (here equal to the session
    /// timeout, librdkafka's minimum). Its buffer stays at its bound; once it reads, every
    /// record arrives exactly once and in order, across both members.
    @Test(.timeLimit(.minutes(2)))
    func aStalledReaderWithAFullBufferKeepsItsMembershipAndServesRebalances() async throws {
        let topic = Support.unique("group-stall")
        let group = Support.unique("group")
        let cluster = try await Support.cluster(topic: topic, partitions: 2)
        let producer = try Support.producer(cluster)
        let perPartition = 60
        try await Self.produceRound(producer, topic: topic, partitions: 2, perPartition: perPartition)
        var configuration = Support.consumerConfiguration(cluster, group: group)
        configuration.sessionTimeout = .seconds(6)
        configuration.heartbeatInterval = .seconds(1)
        configuration.maxPollInterval = .seconds(6)
        configuration.revocationTimeout = .seconds(1)
        configuration.bufferCapacity = 8
        let a = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        let b = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        let clock = ContinuousClock()

        try await a.subscribe(topics: [topic])
        let full = try await Self.eventually(.seconds(20)) { a.buffer.bufferedMessageCount >= 8 }
        #expect(full, "a never filled its buffer")
        let stallStarted = clock.now
        try await b.subscribe(topics: [topic])
        var bAssigned: [KafkaTopicPartition] = []
        var bMessages: [KafkaConsumerMessage] = []
        while bAssigned.isEmpty, let event = try await b.events.next(within: .seconds(30)) {
            switch event {
            case .assigned(let partitions): bAssigned += partitions
            case .message(let message): bMessages.append(message)
            case .revoked(let revocation): revocation.complete()
            }
        }
        #expect(bAssigned.count == 1, "b did not get its share while a's reader was stalled: \(bAssigned)")
        // Stay stalled well past max.poll.interval.ms.
        try await Task.sleep(until: stallStarted + .seconds(9))
        #expect(a.buffer.peakBufferedMessageCount <= 8, "a's buffer went past its bound")

        // a now reads: the revocation (not lost: a was never kicked out), then its partition.
        let kept = try #require(
            Set((0..<2).map { KafkaTopicPartition(topic: topic, partition: $0) })
                .subtracting(bAssigned).first)
        var aMessages: [KafkaConsumerMessage] = []
        var lost = false
        let deadline = clock.now + .seconds(20)
        while aMessages.count < perPartition, case let remaining = deadline - clock.now, remaining > .zero,
            let event = try await a.events.next(within: remaining)
        {
            switch event {
            case .message(let message): aMessages.append(message)
            case .revoked(let revocation):
                lost = lost || revocation.isLost
                revocation.complete()
            case .assigned: break
            }
        }
        #expect(!lost, "a was kicked out of the group")
        #expect(aMessages.allSatisfy { $0.topicPartition == kept })
        #expect(aMessages.map(\.offset) == Array(0..<Int64(perPartition)))
        if let bPartition = bAssigned.first {
            bMessages += try await Support.readMessages(b, count: perPartition - bMessages.count)
            #expect(bMessages.allSatisfy { $0.topicPartition == bPartition })
            #expect(bMessages.map(\.offset) == Array(0..<Int64(perPartition)))
        }
        // Still a member: its commit for the partition it kept is accepted.
        var lastError: KafkaError?
        for _ in 0..<20 {
            lastError = await Self.commitResult(a, [kept: Int64(perPartition)])
            guard let error = lastError, error.isRetriable else { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(lastError == nil, "a's commit failed: \(String(describing: lastError))")
        try await Support.expectNoMessage(a, within: .milliseconds(300))
        await a.close()
        await b.close()
        await producer.close()
    }

    /// Commits and returns the error, if any.
    static func commitResult(_ consumer: KafkaConsumer, _ offsets: [KafkaTopicPartition: Int64]) async -> KafkaError? {
        do {
            try await consumer.commit(offsets)
            return nil
        } catch {
            return error
        }
    }

    /// When things happened, shared with child tasks.
    final class Stamps: Sendable {
        let completed = Mutex<ContinuousClock.Instant?>(nil)
        let bAssigned = Mutex<ContinuousClock.Instant?>(nil)
    }
}
