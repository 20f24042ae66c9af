import Kafka

extension KafkaConsumerEvents {
    /// The next event, or `nil` if none arrives within `timeout` (or the sequence ended).
    /// An event that arrives just as the timeout fires is still returned, never dropped.
    ///
    /// - Throws: The sequence's error (a fatal consumer error), never the cancellation of the
    ///   read that lost the race.
    public func next(within timeout: Duration) async throws -> KafkaConsumerEvent? {
        enum Outcome: Sendable {
            case event(KafkaConsumerEvent?)
            case failed(any Error)
            case timedOut
        }
        let result: Result<KafkaConsumerEvent?, any Error> = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                var iterator = self.makeAsyncIterator()
                do { return .event(try await iterator.next()) } catch { return .failed(error) }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            var result: KafkaConsumerEvent?
            var failure: (any Error)?
            let first = await group.next()!
            group.cancelAll()
            for outcome in [first] + (await group.reduce(into: []) { $0.append($1) }) {
                switch outcome {
                case .event(let event): result = result ?? event
                case .failed(let error) where !(error is CancellationError): failure = error
                default: break
                }
            }
            if let result { return .success(result) }
            if let failure { return .failure(failure) }
            return .success(nil)
        }
        return try result.get()
    }
}
