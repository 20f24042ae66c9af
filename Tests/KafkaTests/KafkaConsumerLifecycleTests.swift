import Testing

@testable import Kafka

/// The consumer's life as plain values: a revocation is waited on only while running, closing
/// completes the one being waited on, and closing is announced once.
@Suite struct KafkaConsumerLifecycleTests {
    typealias State = KafkaConsumerLifecycle.State

    static func revocation() -> KafkaRevocation {
        KafkaRevocation(partitions: [], isLost: false, completed: false)
    }

    @Test func closingCompletesTheRevocationThePollThreadWaitsOn() {
        var state = State()
        let pending = Self.revocation()
        let waits = state.revoking(pending)
        #expect(waits)
        let (started, completing) = state.close()
        #expect(started)
        completing?.complete()
        #expect(KafkaThreadProbe.onModuleThread { pending.wait(timeout: .milliseconds(10)) })
        #expect(state.phase == .closing)
    }

    @Test func aRevocationWhileClosingIsNotWaitedOn() {
        var state = State()
        _ = state.close()
        let waits = state.revoking(Self.revocation())
        #expect(!waits, "nobody would complete it")
        let again = state.close().started
        #expect(!again, "closing is started once")
    }

    @Test func aCompletedRevocationIsNotCompletedAgainByTheClose() {
        var state = State()
        _ = state.revoking(Self.revocation())
        state.revoked()
        let completing = state.close().completing
        #expect(completing == nil)
    }

    @Test func closedWakesTheWaitersAndLaterOnesAtOnce() {
        var state = State()
        _ = state.close()
        let waiters = state.closed()
        #expect(waiters.isEmpty)
        #expect(state.phase == .closed)
        let waits = state.revoking(Self.revocation())
        #expect(!waits)
    }
}
