import Foundation
import Synchronization
import Testing

@testable import Relay

/// The referee store's local copy: each flush's batch taken inside its transaction, and this
/// instance's own writes answered from memory until a flush applies them.
@Suite struct RefereeDatabaseTests {
    static func database() throws -> (RefereeDatabase, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "referee-database-\(UUID().uuidString)"
        ).path
        return (try RefereeDatabase(directory: directory, topic: "referees"), directory)
    }

    /// Read your writes: a held row is answered before any transaction applied it, and let go
    /// by the transaction that does (not by one that carries only other rows).
    @Test func aHeldWriteIsAnsweredUntilTheTransactionThatAppliesItCommits() async throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await database.loadFilter(capacity: 100)
        let own = RecentRefereesTests.row("a", .advanced, offset: 5)
        database.hold(own)
        #expect(database.mayContain("a"), "in the filter before any transaction")
        #expect(try database.lookup("a") == own.record)
        #expect(try database.storedRecord("a") == nil)
        try await database.apply(rows: [RecentRefereesTests.row("b", .pending, offset: 6)])
        #expect(database.heldCount == 1, "another row's transaction leaves it held")
        try await database.apply(rows: [own])
        #expect(database.heldCount == 0)
        #expect(try database.storedRecord("a") == own.record)
        #expect(try database.lookup("a") == own.record)
    }

    /// Another instance's later row of the same account, applied while this instance's own row
    /// is held: the copy keeps the later one, and lookups answer it before and after.
    @Test func aLaterRowAppliedMeanwhileWinsOverAHeldOne() async throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await database.loadFilter(capacity: 100)
        let own = RecentRefereesTests.row("a", .pending, offset: 5)
        let later = RecentRefereesTests.row("a", .advanced, offset: 9)
        database.hold(own)
        try await database.apply(rows: [later])
        #expect(try database.lookup("a") == later.record)
        #expect(database.heldCount == 0, "the copy holds a later row: the held one is let go")
        try await database.apply(rows: [own])
        #expect(try database.lookup("a") == later.record)
        #expect(try database.storedRecord("a") == later.record)
    }

    /// A flush that starts while another transaction runs takes its rows and positions only once
    /// that one has committed. Taken before (as it was), the later flush's positions could commit
    /// first, and a process killed between the two restarted past rows it never applied.
    @Test func aBatchIsTakenWhenItsTransactionRunsNotBefore() async throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await database.loadFilter(capacity: 100)
        let steps = Mutex<[String]>([])
        async let first: Void = database.apply { () -> (RefereeDatabase.Batch, Void) in
            steps.withLock { $0.append("first taken") }
            // Holds the copy's one writer a while, as a large batch or a slow disk does.
            Thread.sleep(forTimeInterval: 0.3)
            steps.withLock { $0.append("first applied") }
            return (
                RefereeDatabase.Batch(rows: [RecentRefereesTests.row("a", .advanced, offset: 1)], positions: [0: 2]), ()
            )
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while steps.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await database.apply { () -> (RefereeDatabase.Batch, Void) in
            steps.withLock { $0.append("second taken") }
            return (
                RefereeDatabase.Batch(rows: [RecentRefereesTests.row("b", .advanced, offset: 2)], positions: [0: 3]), ()
            )
        }
        try await first
        #expect(steps.withLock { $0 } == ["first taken", "first applied", "second taken"])
        #expect(try database.positions() == [0: 3])
        #expect(try database.lookup("a") != nil)
        #expect(try database.lookup("b") != nil)
    }

    /// A transaction that rolls back after its take (here: its task cancelled, as the store's
    /// timer is at shutdown) hands its batch back, and nothing of it is saved.
    @Test func aBatchWhoseTransactionRollsBackIsGivenBack() async throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await database.loadFilter(capacity: 100)
        let taken = Mutex(false)
        let givenBack = Mutex<RefereeDatabase.Batch?>(nil)
        let row = RecentRefereesTests.row("a", .advanced, offset: 1)
        let flush = Task {
            try await database.apply {
                taken.withLock { $0 = true }
                // Long enough for the cancellation to land inside the transaction.
                Thread.sleep(forTimeInterval: 0.3)
                return (RefereeDatabase.Batch(rows: [row], positions: [0: 2]), ())
            } givingBack: { batch, _ in
                givenBack.withLock { $0 = batch }
            }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !taken.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        flush.cancel()
        await #expect(throws: (any Error).self) { try await flush.value }
        #expect(givenBack.withLock { $0?.rows } == [row])
        #expect(givenBack.withLock { $0?.positions } == [0: 2])
        #expect(try database.positions().isEmpty)
        #expect(try database.storedRecord("a") == nil)
    }
}
