import Glibc
import Synchronization

/// Keeps a producer's handle from being destroyed while a record is being enqueued: produce
/// calls count themselves in and out, and closing refuses new ones and waits for those under
/// way.
///
/// A counter rather than a mutex held around `rd_kafka_produceva`: the cooperative threads
/// enqueueing at once waited for each other on that mutex (its slow path was the most frequent
/// of the relay's in profiles, 0.6% of the samples under `KafkaProducer.send`), while librdkafka
/// takes concurrent produce calls.
final class ProduceGate: Sendable {
    /// The calls under way, plus ``closingBit`` once closing.
    private let state = Atomic<Int>(0)
    private static let closingBit = 1 << 62

    /// An open gate.
    init() {}

    /// Counts a produce call in, unless closing.
    ///
    /// - Returns: `false` once ``close()`` started: the handle must not be used.
    func enter() -> Bool {
        var current = self.state.load(ordering: .relaxed)
        while current & Self.closingBit == 0 {
            let (exchanged, original) = self.state.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiring)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Counts a produce call out (after a successful ``enter()``).
    func leave() {
        self.state.subtract(1, ordering: .releasing)
    }

    /// Refuses every later ``enter()`` and returns once the calls under way left (each takes
    /// microseconds: `rd_kafka_produceva` never blocks).
    func close() {
        self.state.bitwiseOr(Self.closingBit, ordering: .acquiringAndReleasing)
        while self.state.load(ordering: .acquiring) & ~Self.closingBit != 0 {
            sched_yield()
        }
    }
}
