import Foundation
import Kafka
import Relay
import Synchronization

/// Reads `referral-outcomes` with a raw consumer while a relay runs, until one outcome per
/// expected referral event arrived (by `server_event_id`, so a duplicate does not count twice),
/// keeping each record and its arrival time for ``OutcomeTally``.
final class OutcomeCollector: Sendable {
    private struct State {
        var arrivals: [TopicReader.Arrival] = []
        var eventIDs = Set<String>()
    }

    private let state = Mutex(State())
    private let expected: Int
    private let reader: TopicReader
    /// Only outcomes whose account id starts with this are kept and counted (`nil`: all).
    private let accountPrefix: String?

    /// Creates the reader (assigned from the beginning of every outcome partition, or from their
    /// current ends).
    ///
    /// - Parameters:
    ///   - broker: The broker.
    ///   - topic: The outcome topic.
    ///   - expected: Distinct `server_event_id`s to wait for.
    ///   - fetchWaitMilliseconds: `fetch.wait.max.ms` of the reader.
    ///   - run: Keep only the outcomes of this workload run (``InputRecords/accountID(run:_:)``):
    ///     a second phase on the same topic would otherwise count the first phase's outcomes,
    ///     which a reader from the beginning finds first.
    ///   - fromEnd: Read only outcomes published from now on (see ``TopicReader``).
    init(
        broker: BenchBroker, topic: String = BenchBroker.Topic.outcomes, expected: Int, fetchWaitMilliseconds: Int?,
        run: String? = nil, fromEnd: Bool = false
    ) async throws {
        self.expected = expected
        self.accountPrefix = run.map { InputRecords.accountPrefix(run: $0) }
        self.reader = try await TopicReader(
            broker: broker, partitions: broker.topicPartitions([topic]), fetchWaitMilliseconds: fetchWaitMilliseconds,
            fromEnd: fromEnd)
    }

    /// Distinct events with an outcome so far.
    var distinctCount: Int { self.state.withLock { $0.eventIDs.count } }

    /// Reads until every expected event has an outcome or `timeout` passes.
    ///
    /// - Returns: Whether every expected event has an outcome.
    func collect(timeout: Duration) async throws -> Bool {
        let expected = self.expected
        let accountPrefix = self.accountPrefix
        return try await self.reader.read(timeout: timeout) { arrival in
            if let accountPrefix,
                JSONFieldScanner.string("account_id", in: arrival.message.value)?.hasPrefix(accountPrefix) != true
            {
                return self.state.withLock { $0.eventIDs.count >= expected }
            }
            let id = JSONFieldScanner.string("server_event_id", in: arrival.message.value) ?? ""
            return self.state.withLock { state in
                state.arrivals.append(arrival)
                state.eventIDs.insert(id)
                return state.eventIDs.count >= expected
            }
        }
    }

    /// Every record read, in arrival order.
    var arrivals: [TopicReader.Arrival] { self.state.withLock { $0.arrivals } }
}
