import Testing

@testable import Kafka

/// ``KafkaGroupJoin`` with plain values: which join states hold commits, and how a commit
/// refused for a rebalance waits for this member's next join.
@Suite struct KafkaGroupJoinTests {
    @Test func parsesLibrdkafkasJoinStateLine() {
        #expect(
            KafkaGroupJoin.newState(fromLog: #"Group "relay" changed join state steady -> wait-join (state up)"#)
                == "wait-join")
        #expect(
            KafkaGroupJoin.newState(fromLog: #"Group "a -> b" changed join state wait-sync -> steady (state up)"#)
                == "steady")
        #expect(KafkaGroupJoin.newState(fromLog: "no arrow here") == nil)
        #expect(KafkaGroupJoin.newState(fromLog: "ends with ->") == nil)
    }

    @Test func commitsWaitWhileThisMemberJoinsOrSyncs() {
        var join = KafkaGroupJoin()
        #expect(join.mayCommit, "manual assignment never leaves init")
        join.changed(to: "wait-join")
        #expect(!join.mayCommit)
        join.changed(to: "wait-metadata")
        #expect(!join.mayCommit)
        join.changed(to: "wait-sync")
        #expect(!join.mayCommit)
        // The rebalance callback's states carry the new generation: revoked partitions are
        // committed from there.
        join.changed(to: "wait-incr-unassign-to-complete")
        #expect(join.mayCommit)
        #expect(join.completedJoins == 1)
        join.changed(to: "steady")
        #expect(join.mayCommit)
        #expect(join.completedJoins == 1)
    }

    @Test func destroyingMayAbortOnlyBetweenAnAnsweredJoinAndTheFirstAssignment() {
        var join = KafkaGroupJoin()
        #expect(!join.destroyMayAbort(groupLeft: true), "never joined: no assignor chosen")
        // librdkafka looks the subscription up before it joins.
        join.changed(to: "wait-metadata")
        #expect(!join.destroyMayAbort(groupLeft: true), "metadata before the join")
        join.changed(to: "init")
        join.changed(to: "wait-join")
        #expect(!join.destroyMayAbort(groupLeft: true), "JoinGroup not answered yet")
        join.changed(to: "wait-sync")
        #expect(join.destroyMayAbort(groupLeft: true), "assignor chosen, no assignment")
        // A refused SyncGroup starts over; the assignor stays chosen.
        join.changed(to: "init")
        join.changed(to: "wait-join")
        #expect(join.destroyMayAbort(groupLeft: true))
        join.changed(to: "wait-sync")
        join.changed(to: "wait-assign-call")
        #expect(!join.destroyMayAbort(groupLeft: true), "an assignment came")
        join.changed(to: "steady")
        join.changed(to: "wait-join")
        #expect(!join.destroyMayAbort(groupLeft: true), "the assignor's state outlives later rebalances")

        // A close that did not terminate the group (a fatal error): a JoinGroup still outstanding
        // may be answered before the destroy.
        var fenced = KafkaGroupJoin()
        fenced.changed(to: "wait-join")
        #expect(!fenced.destroyMayAbort(groupLeft: true))
        #expect(fenced.destroyMayAbort(groupLeft: false))

        var leader = KafkaGroupJoin()
        leader.changed(to: "wait-join")
        leader.changed(to: "wait-metadata")
        #expect(leader.destroyMayAbort(groupLeft: true), "the leader's JoinGroup was answered too")
    }

    @Test func onlyStickyAssignorsKeepAState() {
        #expect(KafkaGroupJoinGate(assignmentStrategy: "cooperative-sticky").assignorKeepsState)
        #expect(KafkaGroupJoinGate(assignmentStrategy: "range,sticky").assignorKeepsState)
        #expect(!KafkaGroupJoinGate(assignmentStrategy: "range").assignorKeepsState)
        #expect(!KafkaGroupJoinGate(assignmentStrategy: "roundrobin").assignorKeepsState)
    }

    @Test func aCommitRefusedForARebalanceWaitsForThisMembersNextJoin() {
        var join = KafkaGroupJoin()
        join.changed(to: "wait-join")
        join.changed(to: "steady")
        // Another member started a rebalance this one has not noticed yet.
        join.commitRefusedForRebalance()
        #expect(!join.mayCommit)
        join.changed(to: "wait-join")
        #expect(!join.mayCommit)
        join.changed(to: "wait-sync")
        join.changed(to: "steady")
        #expect(join.mayCommit)
        #expect(join.awaitedJoins == nil)
    }

    @Test func aRefusalWhileJoiningIsSatisfiedByThatJoin() {
        var join = KafkaGroupJoin()
        join.changed(to: "wait-join")
        join.commitRefusedForRebalance()
        join.changed(to: "steady")
        #expect(join.mayCommit)
    }

    @Test func givingUpOnTheAwaitedJoinAllowsTheNextCommit() {
        var join = KafkaGroupJoin()
        join.commitRefusedForRebalance()
        #expect(!join.mayCommit)
        join.stopAwaiting()
        #expect(join.mayCommit)
    }

    @Test func theGateHoldsAJoiningMemberUntilItsTimeoutAndLetsARefusedOneGo() async {
        let gate = KafkaGroupJoinGate()
        gate.log(facility: "CGRPJOINSTATE", message: #"Group "g" changed join state init -> wait-join (state up)"#)
        #expect(await gate.waitUntilCommitAllowed(timeout: .milliseconds(60)) == false)
        gate.log(facility: "CGRPJOINSTATE", message: #"Group "g" changed join state wait-join -> steady (state up)"#)
        #expect(await gate.waitUntilCommitAllowed(timeout: .milliseconds(60)))
        gate.commitRefusedForRebalance()
        #expect(await gate.waitUntilCommitAllowed(timeout: .milliseconds(60)), "no join came: sent anyway")
        #expect(gate.current.mayCommit)
        gate.log(facility: "HEARTBEAT", message: "changed join state steady -> wait-join")
        #expect(gate.current.mayCommit, "only CGRPJOINSTATE lines count")
    }

    @Test func theCgrpDebugContextIsAlwaysOnAndMergedWithAPassedThroughOne() {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: ["b:9092"], groupID: "g")
        #expect(configuration.rdProperties.filter { $0.0 == "debug" }.map(\.1) == ["cgrp"])
        configuration.properties["debug"] = "broker,topic"
        #expect(configuration.rdProperties.filter { $0.0 == "debug" }.map(\.1) == ["broker,topic,cgrp"])
        configuration.properties["debug"] = "all"
        #expect(configuration.rdProperties.filter { $0.0 == "debug" }.map(\.1) == ["all"])
    }
}
