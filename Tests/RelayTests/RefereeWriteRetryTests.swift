import Kafka
import Synchronization
import Testing

@testable import Relay

/// The retries of a referee store write, with plain closures for the write and the abandon flag.
@Suite struct RefereeWriteRetryTests {
    /// Counts attempts and answers each from a script (the last answer repeats).
    final class Script: Sendable {
        let answers: [(any Error)?]
        let attempts = Mutex(0)

        init(_ answers: [(any Error)?]) { self.answers = answers }

        func attempt() throws {
            let index = self.attempts.withLock { count in
                defer { count += 1 }
                return count
            }
            if let error = self.answers[min(index, self.answers.count - 1)] { throw error }
        }

        var count: Int { self.attempts.withLock { $0 } }
    }

    let quick = RefereeWriteRetry(backoff: Backoff(initial: .milliseconds(1), maximum: .milliseconds(4)))
    static let transient = KafkaError(code: .messageTimedOut, reason: "a test's transient failure")
    static let permanent = KafkaError(code: .messageSizeTooLarge, reason: "a test's permanent failure")

    @Test func aWriteAbandonedBeforeItsFirstAttemptIsNeverAttempted() async {
        let script = Script([nil])
        await #expect(throws: CancellationError.self) {
            _ = try await self.quick.run(abandoned: { true }, retrying: { _ in }) { try script.attempt() }
        }
        #expect(script.count == 0)
    }

    @Test func aWriteAbandonedWhileFailingIsNotAttemptedAgain() async {
        let script = Script([Self.transient])
        let abandoned = Mutex(false)
        await #expect(throws: CancellationError.self) {
            _ = try await self.quick.run(
                abandoned: { abandoned.withLock { $0 } },
                retrying: { _ in abandoned.withLock { $0 = true } }
            ) { try script.attempt() }
        }
        #expect(script.count == 1, "the abandon is seen before the second attempt")
    }

    @Test func transientFailuresAreRetriedUntilTheWriteGoesThrough() async throws {
        let script = Script([Self.transient, Self.transient, Self.transient, nil])
        let retried = Mutex(0)
        let refusal = try await self.quick.run(
            abandoned: { false }, retrying: { _ in retried.withLock { $0 += 1 } }
        ) { try script.attempt() }
        #expect(refusal == nil)
        #expect(script.count == 4)
        #expect(retried.withLock { $0 } == 3)
    }

    @Test func aPermanentFailureIsReturnedWithoutAnotherAttempt() async throws {
        let script = Script([Self.permanent])
        let refusal = try await self.quick.run(abandoned: { false }, retrying: { _ in }) { try script.attempt() }
        #expect(refusal?.code == .messageSizeTooLarge)
        #expect(script.count == 1)
    }
}
