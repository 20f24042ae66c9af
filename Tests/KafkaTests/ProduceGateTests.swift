import Foundation
import Synchronization
import Testing

@testable import Kafka

/// The producer's close gate: no produce call starts once closing began, and closing waits for
/// the calls under way.
@Suite struct ProduceGateTests {
    @Test func callsEnterUntilClosedAndNotAfter() {
        let gate = ProduceGate()
        #expect(gate.enter())
        #expect(gate.enter())
        gate.leave()
        gate.leave()
        gate.close()
        #expect(!gate.enter())
        #expect(!gate.enter())
    }

    @Test func closingWaitsForTheCallUnderWay() async {
        let gate = ProduceGate()
        #expect(gate.enter())
        let flags = Flags()
        let closer = Thread {
            gate.close()
            // The call under way must have left before close returns.
            flags.closedAfterLeaving.store(
                flags.left.load(ordering: .sequentiallyConsistent), ordering: .sequentiallyConsistent)
        }
        closer.start()
        try? await Task.sleep(for: .milliseconds(100))
        // Closing began: a new call is refused, the one under way is still in.
        #expect(!gate.enter())
        flags.left.store(true, ordering: .sequentiallyConsistent)
        gate.leave()
        while !closer.isFinished { try? await Task.sleep(for: .milliseconds(5)) }
        let closedAfterLeaving = flags.closedAfterLeaving.load(ordering: .sequentiallyConsistent)
        #expect(closedAfterLeaving)
    }

    /// What the closing thread and the test share.
    private final class Flags: Sendable {
        let left = Atomic<Bool>(false)
        let closedAfterLeaving = Atomic<Bool>(false)
    }
}
