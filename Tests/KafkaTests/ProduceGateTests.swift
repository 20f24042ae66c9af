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
        // Until the closer began closing: from then on a new call is refused, while the one
        // under way is still in.
        let began = ContinuousClock.now
        while gate.enter() {
            gate.leave()
            guard ContinuousClock.now - began < .seconds(10) else {
                Issue.record("close() never began")
                flags.left.store(true, ordering: .sequentiallyConsistent)
                gate.leave()
                return
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        flags.left.store(true, ordering: .sequentiallyConsistent)
        gate.leave()
        let leftAt = ContinuousClock.now
        while !closer.isFinished, ContinuousClock.now - leftAt < .seconds(10) {
            try? await Task.sleep(for: .milliseconds(5))
        }
        #expect(closer.isFinished, "close() returned once the call under way left")
        let closedAfterLeaving = flags.closedAfterLeaving.load(ordering: .sequentiallyConsistent)
        #expect(closedAfterLeaving)
    }

    /// What the closing thread and the test share.
    private final class Flags: Sendable {
        let left = Atomic<Bool>(false)
        let closedAfterLeaving = Atomic<Bool>(false)
    }
}
