import Foundation
import Synchronization
import Testing

@testable import Relay

/// The referee store's local copy takes each flush's batch inside its transaction.
@Suite struct RefereeDatabaseTests {
    /// A flush that starts while another transaction runs takes its rows and positions only once
    /// that one has committed. Taken before (as it was), the later flush's positions could commit
    /// first, and a process killed between the two restarted past rows it never applied.
    @Test func aBatchIsTakenWhenItsTransactionRunsNotBefore() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "referee-database-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try RefereeDatabase(directory: directory, topic: "referees")
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
}
