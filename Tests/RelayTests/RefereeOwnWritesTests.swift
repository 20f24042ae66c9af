import Testing

@testable import Relay

/// ``RefereeOwnWrites`` with plain values: the store's reader skips exactly the records this
/// instance wrote and queued, once each, and the set stays bounded.
@Suite struct RefereeOwnWritesTests {
    @Test func aRecordAppliedByItsWriterIsSkippedOnceAndNothingElseIs() {
        var writes = RefereeOwnWrites()
        writes.queued(partition: 2, offset: 41)
        // Another instance's record, or this one's at another partition: read and applied.
        #expect(!take(&writes, 2, 40))
        #expect(!take(&writes, 3, 41))
        #expect(take(&writes, 2, 41))
        // Read again (a reassignment reads from the saved position): applied as any record.
        #expect(!take(&writes, 2, 41))
        #expect(writes.count == 0)
    }

    @Test func pastItsLimitItRemembersNothingMoreAndTheReaderAppliesAsBefore() {
        var writes = RefereeOwnWrites(limit: 2)
        writes.queued(partition: 0, offset: 1)
        writes.queued(partition: 0, offset: 2)
        writes.queued(partition: 0, offset: 3)
        #expect(writes.count == 2)
        #expect(!take(&writes, 0, 3))
        #expect(take(&writes, 0, 1))
        #expect(take(&writes, 0, 2))
    }

    /// `takeQueued` outside `#expect`, which cannot call a mutating method.
    private func take(_ writes: inout RefereeOwnWrites, _ partition: Int32, _ offset: Int64) -> Bool {
        writes.takeQueued(partition: partition, offset: offset)
    }
}
