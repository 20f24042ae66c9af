import Dispatch
import Synchronization
import Testing

@testable import Kafka

/// The bounded hand-off between the poll thread and the reader, as plain values.
@Suite struct KafkaConsumerEventBufferTests {
    static func message(_ partition: Int32, _ offset: Int64) -> KafkaConsumerEvent {
        .message(KafkaConsumerMessage(topic: "t", partition: partition, offset: offset, key: nil, value: []))
    }

    static func describe(_ event: KafkaConsumerEvent?) -> String {
        switch event {
        case .message(let message): "m\(message.partition)@\(message.offset)"
        case .assigned(let partitions): "assigned\(partitions.map(\.partition))"
        case .revoked(let revocation): "revoked\(revocation.partitions.map(\.partition))"
        case nil: "end"
        }
    }

    @Test func revocationDropsBufferedRecordsOfRevokedPartitionsOnly() async throws {
        let buffer = KafkaConsumerEventBuffer(capacity: 10)
        buffer.push(.assigned([KafkaTopicPartition(topic: "t", partition: 0)]))
        for offset in 0..<3 {
            buffer.push(Self.message(0, Int64(offset)))
            buffer.push(Self.message(1, Int64(offset)))
        }
        let revocation = KafkaRevocation(
            partitions: [KafkaTopicPartition(topic: "t", partition: 0)],
            isLost: false,
            completed: false
        )
        #expect(buffer.revoke(revocation))
        var seen: [String] = []
        for _ in 0..<5 { seen.append(Self.describe(try await buffer.next())) }
        #expect(seen == ["assigned[0]", "revoked[0]", "m1@0", "m1@1", "m1@2"])
        #expect(buffer.bufferedMessageCount == 0)
    }

    /// A slow reader must see a revocation before the revocation timeout: it overtakes the
    /// records of other partitions (which stay in order behind it), but never an earlier
    /// rebalance event, nor the records buffered before that event.
    @Test func revocationOvertakesBufferedRecordsButNotAnEarlierRebalanceEvent() async throws {
        let buffer = KafkaConsumerEventBuffer(capacity: 100)
        let tp = { (partition: Int32) in KafkaTopicPartition(topic: "t", partition: partition) }
        buffer.push(Self.message(1, 0))
        buffer.push(.assigned([tp(2)]))
        buffer.push(Self.message(1, 1))
        buffer.push(Self.message(2, 0))
        buffer.push(Self.message(0, 5))
        buffer.push(Self.message(1, 2))
        let first = KafkaRevocation(partitions: [tp(0)], isLost: false, completed: false)
        #expect(buffer.revoke(first))
        let second = KafkaRevocation(partitions: [tp(3)], isLost: false, completed: false)
        #expect(buffer.revoke(second))
        buffer.push(Self.message(2, 1))
        var seen: [String] = []
        for _ in 0..<8 { seen.append(Self.describe(try await buffer.next())) }
        #expect(seen == ["m1@0", "assigned[2]", "revoked[0]", "revoked[3]", "m1@1", "m2@0", "m1@2", "m2@1"])
        #expect(buffer.bufferedMessageCount == 0)

        // With nothing buffered but records, it goes first.
        for offset in 0..<3 { buffer.push(Self.message(1, Int64(3 + offset))) }
        #expect(buffer.revoke(KafkaRevocation(partitions: [tp(2)], isLost: false, completed: false)))
        seen = []
        for _ in 0..<4 { seen.append(Self.describe(try await buffer.next())) }
        #expect(seen == ["revoked[2]", "m1@3", "m1@4", "m1@5"])
    }

    @Test func roomRunsOutAtCapacityAndTheReaderRingsOnceItTookHalf() async throws {
        let rings = Mutex(0)
        let buffer = KafkaConsumerEventBuffer(capacity: 4) { rings.withLock { $0 += 1 } }
        #expect(buffer.room() == 4)
        buffer.push((0..<3).map { Self.message(0, Int64($0)) })
        #expect(buffer.room() == 1)
        buffer.push(Self.message(0, 3))
        #expect(buffer.room() == 0)
        // A record that did not come from a partition queue is kept, beyond capacity.
        buffer.push(Self.message(0, 4))
        #expect(buffer.bufferedMessageCount == 5)
        for _ in 0..<2 { _ = try await buffer.next() }
        #expect(rings.withLock { $0 } == 0, "3 > 4 / 2: no ring yet")
        _ = try await buffer.next()
        #expect(rings.withLock { $0 } == 1, "down to half: the poll thread is rung")
        _ = try await buffer.next()
        #expect(rings.withLock { $0 } == 1, "rung once, not once per record")
        #expect(buffer.room() == 3)
        #expect(buffer.peakBufferedMessageCount == 5)
        buffer.finish()
        #expect(buffer.room() == 0)
    }

    @Test func finishEndsTheSequenceAndNoRevocationIsHandedOverAfterIt() async throws {
        let buffer = KafkaConsumerEventBuffer(capacity: 4)
        buffer.push(Self.message(0, 0))
        buffer.finish()
        #expect(try await buffer.next() == nil)
        #expect(!buffer.revoke(KafkaRevocation(partitions: [], isLost: false, completed: false)))
    }

    @Test func aWaitingReaderIsResumedAndCancellationEndsTheWait() async throws {
        let buffer = KafkaConsumerEventBuffer(capacity: 4)
        async let next = buffer.next()
        try await Task.sleep(for: .milliseconds(50))
        buffer.push(Self.message(2, 7))
        #expect(Self.describe(try await next) == "m2@7")

        let waiting = Task { try await buffer.next() }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
    }

    @Test func revocationCompletionIsSharedAndBounded() {
        let revocation = KafkaRevocation(partitions: [], isLost: false, completed: false)
        let copy = revocation
        copy.complete()
        copy.complete()
        #expect(KafkaThreadProbe.onModuleThread { revocation.wait(timeout: .milliseconds(10)) })
        let stuck = KafkaRevocation(partitions: [], isLost: false, completed: false)
        #expect(!KafkaThreadProbe.onModuleThread { stuck.wait(timeout: .milliseconds(50)) })
    }
}

/// Runs a closure on a module thread and waits for it (tests only).
enum KafkaThreadProbe {
    static func onModuleThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        KafkaThread.detach(name: "test-probe") {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }
}
