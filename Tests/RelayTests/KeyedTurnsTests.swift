import Synchronization
import Testing

@testable import Relay

/// One referee store write at a time per account: the turn rules with plain values, then the
/// same rules run with continuations.
@Suite struct KeyedTurnsTests {
    @Test func theFirstGoesAtOnceAndTheOthersInTheOrderTheyAsked() {
        var turns = KeyedTurnsState<Int>()
        let r1 = turns.begin("a", 1)
        #expect(r1)
        let r2 = turns.begin("a", 2)
        #expect(!r2)
        let r3 = turns.begin("a", 3)
        #expect(!r3)
        let r4 = turns.end("a")
        #expect(r4 == 2)
        #expect(turns.waiting("a") == 1)
        let r5 = turns.end("a")
        #expect(r5 == 3)
        #expect(turns.isBusy("a"), "3 has the turn until it ends")
        let r6 = turns.end("a")
        #expect(r6 == nil)
        #expect(!turns.isBusy("a"), "a key nobody writes is forgotten")
        let r7 = turns.begin("a", 4)
        #expect(r7, "free again")
    }

    @Test func aTurnIsTakenWithoutQueueingOnlyWhenFree() {
        var turns = KeyedTurnsState<Int>()
        let free = turns.tryBegin("a")
        #expect(free)
        let taken = turns.tryBegin("a")
        #expect(!taken)
        #expect(turns.waiting("a") == 0, "a refused try queues nothing")
        let next = turns.end("a")
        #expect(next == nil)
        let again = turns.tryBegin("a")
        #expect(again)
    }

    @Test func keysDoNotWaitForEachOther() {
        var turns = KeyedTurnsState<Int>()
        let r8 = turns.begin("a", 1)
        #expect(r8)
        let r9 = turns.begin("b", 2)
        #expect(r9)
        let r10 = turns.begin("a", 3)
        #expect(!r10)
        let r11 = turns.end("b")
        #expect(r11 == nil)
        let r12 = turns.end("a")
        #expect(r12 == 3)
    }

    /// What the writes did, in order, and how many were inside their turn at once.
    final class Recorder: Sendable {
        let log = Mutex<[String]>([])
        let inside = Mutex(0)
        let mostInside = Mutex(0)
    }

    /// One write of `acct-1`: logs its start and end, holding its turn until `gate` opens.
    private static func write(
        _ name: String, _ turns: KeyedTurns, _ recorder: Recorder, gate: OneShot<Void>? = nil
    ) async throws {
        try await turns.withTurn("acct-1") {
            let now = recorder.inside.withLock {
                $0 += 1
                return $0
            }
            recorder.mostInside.withLock { $0 = max($0, now) }
            recorder.log.withLock { $0.append("start \(name)") }
            if let gate { _ = await gate.value }
            try await Task.sleep(for: .milliseconds(5))
            recorder.log.withLock { $0.append("end \(name)") }
            recorder.inside.withLock { $0 -= 1 }
        }
    }

    /// Whether `condition` holds within 5 s (polled every millisecond).
    private static func eventually(_ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return true
    }

    /// Three writes of one key started together run one after another, in the order they
    /// asked, while a write of another key runs beside them.
    @Test func writesOfOneKeyRunOneAtATimeInOrder() async throws {
        let turns = KeyedTurns()
        let recorder = Recorder()
        let gate = OneShot<Void>()
        let first = Task { try await Self.write("1", turns, recorder, gate: gate) }
        // Bounded waits: with the turns broken the writes never queue, and the test must fail,
        // not hang (the gate opens whatever happens, so every write ends).
        defer { gate.resolve(()) }
        try #require(await Self.eventually { turns.isBusy("acct-1") })
        let second = Task { try await Self.write("2", turns, recorder) }
        try #require(await Self.eventually { turns.waiting("acct-1") == 1 }, "the second write does not wait")
        let third = Task { try await Self.write("3", turns, recorder) }
        try #require(await Self.eventually { turns.waiting("acct-1") == 2 }, "the third write does not wait")
        // Another account is not held up by acct-1's turn.
        try await turns.withTurn("acct-2") { recorder.log.withLock { $0.append("other") } }
        gate.resolve(())
        try await first.value
        try await second.value
        try await third.value
        #expect(recorder.mostInside.withLock { $0 } == 1)
        #expect(
            recorder.log.withLock { $0 } == ["start 1", "other", "end 1", "start 2", "end 2", "start 3", "end 3"])
        #expect(!turns.isBusy("acct-1"))
    }
}
