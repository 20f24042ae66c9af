import Foundation
import Synchronization
import Testing

@testable import Relay

/// The referee store's group commit: every row is applied exactly once, rows written at the
/// same time share transactions, and a failed transaction fails exactly its own writers.
@Suite struct RefereeWriteBatcherTests {
    static func row(_ index: Int) -> RefereeDatabase.Row {
        RefereeDatabase.Row(
            record: RefereeRecord(
                accountID: "acct-\(index)", mmref: "m", serverID: nil, registration: .pending,
                updatedAtMilliseconds: 0),
            partition: 0, offset: Int64(index))
    }

    @Test func concurrentWritesShareTransactionsAndEachRowIsAppliedOnce() async throws {
        let batches = Mutex<[[String]]>([])
        let batcher = RefereeWriteBatcher { rows in
            // A transaction that takes a while: writers arriving meanwhile queue behind it.
            try await Task.sleep(for: .milliseconds(5))
            batches.withLock { $0.append(rows.map(\.record.accountID)) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<500 { group.addTask { try await batcher.write(Self.row(index)) } }
            try await group.waitForAll()
        }
        let applied = batches.withLock { $0 }
        let accounts = applied.flatMap { $0 }
        #expect(accounts.count == 500)
        #expect(Set(accounts) == Set((0..<500).map { "acct-\($0)" }))
        #expect(applied.count < 100, "\(applied.count) transactions for 500 concurrent writes")
    }

    @Test func aFailedTransactionFailsItsOwnWritersAndTheNextOneStillRuns() async throws {
        struct Refused: Error {}
        let calls = Mutex(0)
        // The first transaction fails, and runs until the test lets it end.
        let (firstStarted, started) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        let batcher = RefereeWriteBatcher { _ in
            let call = calls.withLock { calls -> Int in
                calls += 1
                return calls
            }
            guard call == 1 else { return }
            started.yield()
            for await _ in released { break }
            throw Refused()
        }
        let first = Task { try await batcher.write(Self.row(0)) }
        for await _ in firstStarted { break }
        // Ten writers arrive while it runs: they queue behind it, then lead the next ones.
        let others = Task {
            await withTaskGroup(of: Bool.self) { group -> [Bool] in
                for index in 1...10 {
                    group.addTask { (try? await batcher.write(Self.row(index))) != nil }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        release.yield()
        await #expect(throws: Refused.self) { try await first.value }
        let results = await others.value
        #expect(results.count == 10)
        #expect(results.allSatisfy { $0 }, "a write behind the failed transaction failed")
        #expect(calls.withLock { $0 } >= 2)
    }
}
