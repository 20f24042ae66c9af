import Foundation
import Testing

@testable import Relay

/// The referee rows held in memory after they were applied: a bounded size, and lookups that
/// always agree with SQLite (only rows the copy's upsert took are held).
@Suite struct RecentRefereesTests {
    static func row(
        _ account: String, _ registration: RefereeRecord.Registration, partition: Int32 = 0, offset: Int64
    ) -> RefereeDatabase.Row {
        RefereeDatabase.Row(
            record: RefereeRecord(
                accountID: account, mmref: "m-\(account)", serverID: "srv_1", registration: registration,
                updatedAtMilliseconds: offset),
            partition: partition, offset: offset)
    }

    @Test func theOldestAccountLeavesFirstAndAnUpdateKeepsItsPlace() {
        var recent = RecentReferees(limit: 2)
        recent.applied(Self.row("a", .pending, offset: 1))
        recent.applied(Self.row("b", .pending, offset: 2))
        recent.applied(Self.row("a", .advanced, offset: 3))
        recent.applied(Self.row("c", .pending, offset: 4))
        #expect(recent.record("a") == nil, "added first, so it left first despite its update")
        #expect(recent.record("b") != nil)
        #expect(recent.record("c") != nil)
        #expect(recent.count == 2)
    }

    @Test func anotherWriterIsSeenByTheDataVersionAndClearedAccountsAreNotAnswered() {
        var recent = RecentReferees(limit: 10)
        #expect(recent.noteDataVersion(1) == false, "the first transaction has nothing to compare")
        recent.applied(Self.row("a", .pending, offset: 1))
        #expect(recent.noteDataVersion(1) == false, "this connection's own commits leave it as it was")
        #expect(recent.noteDataVersion(2) == true)
        recent.removeAll()
        #expect(recent.count == 0)
        recent.applied(Self.row("a", .advanced, offset: 3))
        #expect(recent.record("a")?.registration == .advanced)
    }

    /// Another process writing the same file (a tool given the relay's directory): its newer
    /// row is answered once this copy's next transaction has seen the file change.
    @Test func anotherWriterOfTheFileIsNotHiddenByTheRecentRows() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "recent-referees-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let relay = try RefereeDatabase(directory: directory, topic: "referees")
        let tool = try RefereeDatabase(directory: directory, topic: "referees")
        _ = try await relay.loadFilter(capacity: 100)
        try await relay.apply(rows: [Self.row("a", .pending, offset: 8)])
        #expect(try relay.lookup("a")?.registration == .pending)
        try await tool.apply(rows: [Self.row("a", .advanced, offset: 10)])
        // The relay reads the same record later from the topic: the copy refuses it (same offset).
        try await relay.apply(rows: [Self.row("a", .advanced, offset: 10), Self.row("b", .pending, offset: 11)])
        #expect(try relay.lookup("a")?.registration == .advanced)
        #expect(try relay.lookup("a") == relay.storedRecord("a"))
    }

    /// Through the local copy: whatever order rows arrive in (earlier offsets read again,
    /// another partition), a lookup (answered from memory when it can) says what SQLite holds,
    /// also for accounts that left the recent rows and came back with a row the copy refused.
    @Test func lookupsAgreeWithTheCopyWhateverTheOrderOfWrites() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "recent-referees-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try RefereeDatabase(directory: directory, topic: "referees", recentLimit: 8)
        _ = try await database.loadFilter(capacity: 1_000)
        // Deterministically first: an account leaves the recent rows, then an earlier offset of
        // it is read again (the copy refuses it).
        try await database.apply(rows: [Self.row("kept", .advanced, offset: 100)])
        try await database.apply(rows: (0..<10).map { Self.row("other-\($0)", .pending, offset: Int64($0)) })
        try await database.apply(rows: [Self.row("kept", .failed, offset: 50)])
        #expect(try database.lookup("kept")?.registration == .advanced)
        var generator = SystemRandomNumberGenerator()
        let registrations: [RefereeRecord.Registration] = [.pending, .advanced, .failed, .rejected]
        let accounts = (0..<40).map { "acct-\($0)" }
        for batch in 0..<50 {
            let rows = (0..<20).map { _ in
                Self.row(
                    accounts.randomElement(using: &generator)!, registrations.randomElement(using: &generator)!,
                    partition: Int32.random(in: 0...1, using: &generator),
                    offset: Int64(batch * 20) + Int64.random(in: -30...30, using: &generator))
            }
            try await database.apply(rows: rows)
        }
        for account in accounts {
            #expect(try database.lookup(account) == database.storedRecord(account), "\(account)")
        }
    }
}
