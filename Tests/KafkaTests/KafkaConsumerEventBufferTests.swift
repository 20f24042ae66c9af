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
        #expect(seen == ["assigned[0]", "m1@0", "m1@1", "m1@2", "revoked[0]"])
        #expect(buffer.bufferedMessageCount == 0)
    }

    @Test func fullBufferMakesThePollThreadWaitUntilThereIsRoom() async throws {
        let buffer = KafkaConsumerEventBuffer(capacity: 4)
        for offset in 0..<4 {
            #expect(buffer.waitForSpace(timeout: .milliseconds(1)))
            buffer.push(Self.message(0, Int64(offset)))
        }
        #expect(!buffer.waitForSpace(timeout: .milliseconds(10)))
        _ = try await buffer.next()
        #expect(buffer.waitForSpace(timeout: .milliseconds(1)))  // 3 < 4: room again
        buffer.push(Self.message(0, 4))
        #expect(buffer.bufferedMessageCount == 4)
    }

    @Test func closingSkipsTheRevocationWaitAndFinishEndsTheSequence() async throws {
        let buffer = KafkaConsumerEventBuffer(capacity: 4)
        buffer.beginClosing()
        let revocation = KafkaRevocation(partitions: [], isLost: false, completed: false)
        #expect(!buffer.revoke(revocation))
        buffer.push(Self.message(0, 0))
        buffer.finish()
        #expect(try await buffer.next() == nil)
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

extension KafkaConsumerEventBufferTests {
    @Test func closingCompletesTheRevocationThePollThreadWaitsOn() {
        let buffer = KafkaConsumerEventBuffer(capacity: 4)
        let revocation = KafkaRevocation(partitions: [], isLost: false, completed: false)
        #expect(buffer.revoke(revocation))
        buffer.beginClosing()
        #expect(KafkaThreadProbe.onModuleThread { revocation.wait(timeout: .milliseconds(10)) })
    }
}
