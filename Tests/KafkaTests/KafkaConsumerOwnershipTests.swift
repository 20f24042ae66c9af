import Foundation
import Synchronization
import Testing

@testable import Kafka

/// The commit guard: commits for partitions revoked from the consumer are refused, and a
/// release waits (bounded) for the commits already running for them.
@Suite struct KafkaConsumerOwnershipTests {
    static let p0 = KafkaTopicPartition(topic: "t", partition: 0)
    static let p1 = KafkaTopicPartition(topic: "t", partition: 1)

    @Test func releasedPartitionsAreRefusedUntilAssignedAgain() throws {
        let ownership = KafkaConsumerOwnership()
        try ownership.beginCommit([Self.p0, Self.p1])
        ownership.endCommit([Self.p0, Self.p1])

        #expect(ownership.release([Self.p1], drainTimeout: .zero))
        let error = #expect(throws: KafkaError.self) { try ownership.beginCommit([Self.p0, Self.p1]) }
        #expect(error?.code == .state)
        #expect(error?.isRetriable == false)
        // The refused commit registered nothing: p0 can be released without waiting.
        #expect(ownership.release([Self.p0], drainTimeout: .zero))

        ownership.assigned([Self.p0, Self.p1])
        try ownership.beginCommit([Self.p0, Self.p1])
        ownership.endCommit([Self.p0, Self.p1])
    }

    @Test(.timeLimit(.minutes(1)))
    func releaseWaitsForRunningCommitsAndIsBounded() async throws {
        let ownership = KafkaConsumerOwnership()
        try ownership.beginCommit([Self.p0])
        let clock = ContinuousClock()
        let start = clock.now
        #expect(!ownership.release([Self.p0], drainTimeout: .milliseconds(200)), "a running commit was not waited for")
        #expect(clock.now - start >= .milliseconds(200))
        ownership.endCommit([Self.p0])

        // A commit ending during the wait lets the release return at once.
        ownership.assigned([Self.p0])
        try ownership.beginCommit([Self.p0])
        let restart = clock.now
        let released = Flag()
        let thread = Thread {
            released.value.store(ownership.release([Self.p0], drainTimeout: .seconds(10)), ordering: .releasing)
        }
        thread.start()
        try await Task.sleep(for: .milliseconds(100))
        #expect(!released.isSet)
        ownership.endCommit([Self.p0])
        // The drain timeout is 10 s: returning well before it proves the end of the commit woke
        // the release (a loaded CI machine may take a few seconds to schedule the thread).
        let deadline = clock.now + .seconds(8)
        while !released.isSet && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(released.isSet)
        #expect(clock.now - restart < .seconds(8))
    }

    /// A flag set by another thread.
    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
    }
}
