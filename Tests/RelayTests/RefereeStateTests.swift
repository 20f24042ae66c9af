import Foundation
import Testing

@testable import Relay

/// The referee store's value types with plain values: which progress records are believed when,
/// and how settled `account-created` prefixes become progress.
@Suite struct RefereeStateTests {
    /// An arbitrary start for the progress tracker's monotonic clock.
    static let start = ContinuousClock.now
    @Test func restoredOnceEveryPartitionReachesItsEndAtStart() {
        var state = RefereeFollowState(positions: [0: 0, 1: 5], target: [0: 3, 1: 5])
        #expect(!state.restored)
        state.read(partition: 0, offset: 1)
        #expect(!state.restored)
        state.read(partition: 0, offset: 2)
        #expect(state.restored)
        #expect(RefereeFollowState(positions: [0: 0], target: [0: 0]).restored, "an empty topic is restored")
    }

    @Test func aRestoreReadsAtMostItsLimitOfPartitionsThatAreBehindAtOnce() {
        // Partitions 0-6 behind (end 2 each), 7 caught up; four restored at once.
        var positions: [Int32: Int64] = [:]
        var target: [Int32: Int64] = [:]
        for partition in Int32(0)...6 {
            positions[partition] = 0
            target[partition] = 2
        }
        positions[7] = 7
        target[7] = 7
        var state = RefereeFollowState(positions: positions, target: target, restoreLimit: 4)
        #expect(state.reading == [0, 1, 2, 3, 7])
        #expect(state.read(partition: 0, offset: 0).isEmpty, "not at its end yet")
        #expect(state.read(partition: 0, offset: 1).isEmpty, "one of four done: not half yet")
        #expect(state.read(partition: 7, offset: 7).isEmpty, "a partition caught up at start starts nothing")
        #expect(state.read(partition: 1, offset: 1) == [4, 5], "half done: two start, as many as there is room for")
        #expect(state.reading == [0, 1, 2, 3, 4, 5, 7])
        #expect(state.read(partition: 2, offset: 1).isEmpty)
        #expect(state.read(partition: 3, offset: 1) == [6])
        #expect(state.reading == [0, 1, 2, 3, 4, 5, 6, 7])
        for partition in Int32(4)...5 { state.read(partition: partition, offset: 1) }
        #expect(!state.restored)
        state.read(partition: 6, offset: 1)
        #expect(state.restored)
    }

    @Test func progressIsBelievedOnlyOnceEveryPartitionIsReadToTheBarrier() {
        var state = RefereeFollowState(positions: [0: 0, 1: 0], target: [:])
        let marker = RefereeProgress(topic: "account-created", partition: 2, throughMilliseconds: 1_000)
        state.read(partition: 0, offset: 0)
        state.readProgress(marker)
        #expect(state.needsBarrier)
        #expect(state.takeConfirmed().isEmpty, "no barrier yet")
        // Accounts acknowledged before the marker was written may sit in partition 1.
        state.setBarrier([0: 1, 1: 4], askedAfter: state.progressRead)
        #expect(!state.needsBarrier)
        #expect(!state.hasConfirmable)
        #expect(state.takeConfirmed().isEmpty)
        state.read(partition: 1, offset: 3)
        #expect(state.hasConfirmable, "a flush is due for it")
        #expect(state.takeConfirmed() == [marker])
        #expect(!state.hasConfirmable)
        #expect(state.takeConfirmed().isEmpty, "once")
        // Taken by a flush whose transaction rolled back: given out again, first.
        state.confirmAgain([marker])
        #expect(state.hasConfirmable)
        #expect(state.takeConfirmed() == [marker])
        #expect(state.takeConfirmed().isEmpty)
    }

    @Test func markersReadDuringABarrierWaitForTheNextOne() {
        var state = RefereeFollowState(positions: [0: 0], target: [:])
        let first = RefereeProgress(topic: "a", partition: 0, throughMilliseconds: 1)
        let second = RefereeProgress(topic: "a", partition: 0, throughMilliseconds: 2)
        state.readProgress(first)
        state.setBarrier([0: 1], askedAfter: state.progressRead)
        state.readProgress(second)
        state.read(partition: 0, offset: 0)
        #expect(state.takeConfirmed() == [first])
        #expect(state.needsBarrier)
    }

    @Test func aMarkerReadWhileTheEndOffsetsWereAskedForWaitsForTheNextBarrier() {
        var state = RefereeFollowState(positions: [0: 0, 1: 0], target: [:])
        let first = RefereeProgress(topic: "a", partition: 0, throughMilliseconds: 1)
        let second = RefereeProgress(topic: "a", partition: 1, throughMilliseconds: 2)
        state.readProgress(first)
        let asked = state.progressRead
        // Read before the broker's answer came: its accounts may be past the answer's ends.
        state.readProgress(second)
        state.setBarrier([0: 1, 1: 1], askedAfter: asked)
        state.read(partition: 0, offset: 0)
        state.read(partition: 1, offset: 0)
        #expect(state.takeConfirmed() == [first])
        #expect(state.needsBarrier, "the second waits for end offsets asked for after it was read")
        // A second flush's answer, asked for before the first barrier was even set, covers
        // nothing: the records it was asked for are confirmed already.
        state.setBarrier([0: 1, 1: 1], askedAfter: asked)
        #expect(state.needsBarrier)
        state.setBarrier([0: 1, 1: 5], askedAfter: state.progressRead)
        #expect(state.takeConfirmed().isEmpty)
        state.read(partition: 1, offset: 4)
        #expect(state.takeConfirmed() == [second])
    }

    @Test func aSettledPrefixIsThroughItsNewestTimeLessTheLateness() {
        var tracker = RefereeProgressTracker()
        let lateness = RefereeProgressTracker.lateness
        tracker.read(partition: 0, offset: 10, milliseconds: 100_000)
        tracker.read(partition: 0, offset: 11, milliseconds: 99_000)
        tracker.read(partition: 0, offset: 12, milliseconds: 120_000)
        tracker.settled(partition: 0, before: 12, caughtUp: false, now: 500_000)
        #expect(tracker.through[0] == 100_000 - lateness)
        #expect(
            tracker.takeDue(topic: "ac", now: Self.start)
                == [RefereeProgress(topic: "ac", partition: 0, throughMilliseconds: 95_000)])
        #expect(
            tracker.takeDue(topic: "ac", now: Self.start + .milliseconds(300)).isEmpty, "written once until it moves")
        tracker.settled(partition: 0, before: 13, caughtUp: true, now: 500_000)
        #expect(tracker.through[0] == 500_000 - lateness, "caught up: through the present")
        tracker.remove(partition: 0)
        #expect(tracker.through[0] == nil)
    }

    @Test func aPartitionIsWrittenFourTimesASecondWhileItMoves() {
        var tracker = RefereeProgressTracker()
        var written: [Int64] = []
        // Live traffic: one record every 50 ms, each settled at once, the partition caught up
        // at every other look and just behind at the others.
        for step in 0..<40 {
            let now = 1_000_000 + Int64(step) * 50
            tracker.read(partition: 0, offset: Int64(step), milliseconds: now)
            tracker.settled(partition: 0, before: Int64(step + 1), caughtUp: step % 2 == 0, now: now)
            let instant = Self.start + .milliseconds(step * 50)
            written += tracker.takeDue(topic: "ac", now: instant).map(\.throughMilliseconds)
        }
        #expect(written.count == 8, "2 s at one record per 250 ms: \(written)")
        #expect(written == written.sorted())
    }

    @Test func aPartitionThatCaughtUpAfterABacklogIsWrittenAtOnce() {
        var tracker = RefereeProgressTracker()
        let lateness = RefereeProgressTracker.lateness
        let now: Int64 = 10_000_000
        // A backlog stamped an hour ago, read and settled in part, written.
        tracker.read(partition: 0, offset: 0, milliseconds: now - 3_600_000)
        tracker.read(partition: 0, offset: 1, milliseconds: now - 3_599_000)
        tracker.settled(partition: 0, before: 1, caughtUp: false, now: now)
        #expect(
            tracker.takeDue(topic: "ac", now: Self.start).map(\.throughMilliseconds) == [now - 3_600_000 - lateness])
        // 50 ms later the rest settles but the partition is not at its end: it waits its turn.
        tracker.settled(partition: 0, before: 2, caughtUp: false, now: now + 50)
        #expect(tracker.takeDue(topic: "ac", now: Self.start + .milliseconds(50)).isEmpty)
        // 100 ms later it is read to its end and settled: through the present, written now.
        tracker.settled(partition: 0, before: 2, caughtUp: true, now: now + 100)
        #expect(
            tracker.takeDue(topic: "ac", now: Self.start + .milliseconds(100)).map(\.throughMilliseconds) == [
                now + 100 - lateness
            ])
        // Caught up from then on, it moves by the clock only: four times a second again.
        tracker.settled(partition: 0, before: 2, caughtUp: true, now: now + 150)
        #expect(tracker.takeDue(topic: "ac", now: Self.start + .milliseconds(150)).isEmpty)
        tracker.settled(partition: 0, before: 2, caughtUp: true, now: now + 350)
        #expect(
            tracker.takeDue(topic: "ac", now: Self.start + .milliseconds(350)).map(\.throughMilliseconds) == [
                now + 350 - lateness
            ])
    }

    @Test func aRegistrationMayQualifyOnlyWhenMMOLoveAcceptedIt() {
        typealias R = RefereeRecord.Registration
        #expect(R.allCases.filter(\.mayQualify) == [.advanced, .duplicate, .test])
        #expect(R.allCases.filter(\.hasFailed) == [.firstTouchConflict, .rejected, .failed])
        #expect(R(.registrationFailed) == .rejected)
    }
}

/// The referee records' JSON, as `schemas/referral-referee*.v1.json` describe it.
@Suite struct RefereeRecordJSONTests {
    @Test func aRecordRoundTripsWithTheSchemasKeys() throws {
        let record = RefereeRecord(
            accountID: "a", mmref: "m", serverID: "s", registration: .firstTouchConflict, updatedAtMilliseconds: 7)
        let data = try JSONEncoder().encode(record)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["schema", "account_id", "mmref", "server_id", "registration", "updated_at_ms"])
        #expect(object["schema"] as? String == "referral-relay.referee.v1")
        #expect(object["registration"] as? String == "first_touch_conflict")
        #expect(try JSONDecoder().decode(RefereeRecord.self, from: data) == record)
        var withoutServer = record
        withoutServer.serverID = nil
        let bare = try JSONSerialization.jsonObject(with: JSONEncoder().encode(withoutServer)) as? [String: Any]
        #expect(bare?["server_id"] == nil)
    }

    @Test func theBytesWrittenToTheTopicAreTheSchemasRecord() throws {
        let record = RefereeRecord(
            accountID: "a\"1\\é\n", mmref: "m", serverID: "s", registration: .advanced, updatedAtMilliseconds: -7)
        #expect(
            String(decoding: record.encoded(), as: UTF8.self)
                == #"{"schema":"referral-relay.referee.v1","account_id":"a\"1\\é\n","mmref":"m","server_id":"s","registration":"advanced","updated_at_ms":-7}"#
        )
        for registration in RefereeRecord.Registration.allCases {
            for serverID in ["srv_1", nil] {
                var written = record
                written.registration = registration
                written.serverID = serverID
                let decoded = try JSONDecoder().decode(RefereeRecord.self, from: Data(written.encoded()))
                #expect(decoded == written)
                let object = try JSONSerialization.jsonObject(with: Data(written.encoded())) as? [String: Any]
                #expect((object?.keys.contains("server_id") ?? false) == (serverID != nil))
            }
        }
    }

    @Test func progressRoundTripsAndAnotherSchemaIsRefused() throws {
        let progress = RefereeProgress(topic: "account-created", partition: 2, throughMilliseconds: 9)
        let data = try JSONEncoder().encode(progress)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["schema", "topic", "partition", "through_ms"])
        #expect(try JSONDecoder().decode(RefereeProgress.self, from: data) == progress)
        #expect(progress.key == "progress:account-created:2")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RefereeRecord.self, from: data) }
    }
}
