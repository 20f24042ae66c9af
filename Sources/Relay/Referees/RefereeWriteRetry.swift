import Kafka

/// How the relay retries one write to the referee store: until it is written, refused for good
/// (a permanent record failure: the same bytes would be refused forever), cancelled, or
/// abandoned by the delivery it was written for.
///
/// A value with the write passed in, so that its rules are tested with plain closures: the
/// check of `abandoned` before every attempt (the first one included) cannot be reached
/// through Kafka without failing a write in the middle of its retries.
struct RefereeWriteRetry: Sendable {
    /// The pause after each failure: 100 ms after the first, doubling up to 5 s (its ceilings,
    /// without jitter: one write, not a crowd of them).
    var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))

    /// Runs `write` until it succeeds or can never succeed.
    ///
    /// - Parameters:
    ///   - abandoned: Asked before every attempt and after every failure: `true` ends the
    ///     retries (an abandoned write must not start again: it could land after the ending that
    ///     another delivery writes for the same account).
    ///   - retrying: Told each failure that will be retried, before the pause.
    ///   - write: One attempt.
    /// - Returns: `nil` once written; the error when the record was refused for good.
    /// - Throws: `CancellationError` when cancelled or abandoned.
    func run(
        abandoned: () -> Bool,
        retrying: (any Error) -> Void,
        _ write: () async throws -> Void
    ) async throws -> KafkaError? {
        var failures = 0
        while true {
            if abandoned() { throw CancellationError() }
            do {
                try await write()
                return nil
            } catch let error as KafkaError where error.recordFailure == .permanent {
                try Task.checkCancellation()
                if abandoned() { throw CancellationError() }
                return error
            } catch {
                try Task.checkCancellation()
                if abandoned() { throw CancellationError() }
                retrying(error)
                failures += 1
                try await Task.sleep(for: self.backoff.ceiling(attempt: failures))
            }
        }
    }
}
