import Synchronization

/// Where this member stands in the group protocol, as far as commits are concerned: a value
/// type fed with librdkafka's join-state transitions and refused commits, tested with plain
/// values.
///
/// Why: librdkafka sends a commit whatever its join state. A commit sent while this member's
/// JoinGroup is outstanding is answered after the group has moved to the next generation, with
/// `ILLEGAL_GENERATION`, on which librdkafka declares the whole assignment lost and rejoins,
/// which starts another rebalance for every member, whose commits meet the same fate. Three
/// relays and a fourth joining redid 235 of 1,200 events that way, in a storm of rebalances
/// 3 s apart for 40 s. So commits wait while this member joins or syncs, and a commit refused
/// with `REBALANCE_IN_PROGRESS` (another member started the rebalance and this one has not
/// noticed yet) waits for this member's next completed join before it is tried again.
struct KafkaGroupJoin: Sendable, Equatable {
    /// librdkafka's join states in which a JoinGroup or SyncGroup of this member is outstanding
    /// (`rd_kafka_cgrp_join_state_names`); in every other state (`init` for manual assignment,
    /// `steady`, the rebalance callbacks' states) a commit carries a valid generation.
    static let joiningStates: Set<String> = ["wait-join", "wait-metadata", "wait-sync"]

    /// Joins this member completed (left the joining states).
    private(set) var completedJoins = 0
    /// After a refused commit: the number of completed joins to wait for.
    private(set) var awaitedJoins: Int?
    /// The join state librdkafka reported last.
    private(set) var lastState = "init"
    /// Whether a JoinGroup or SyncGroup of this member is outstanding.
    var joining: Bool { Self.joiningStates.contains(lastState) }
    /// A JoinGroup of this member was answered: librdkafka then chose the group's assignor and
    /// went from `wait-join` on to `wait-metadata` (the leader) or `wait-sync`. (`wait-metadata`
    /// also comes before a join, from `init`: that one does not count.)
    private(set) var joinAnswered = false
    /// A SyncGroup gave this member an assignment (librdkafka asks for the assign call only
    /// after handing the assignment to the assignor, which then keeps its state).
    private(set) var assignedOnce = false

    /// Whether destroying the handle now would abort the process: librdkafka 2.0.2 frees the
    /// sticky assignors' state when the handle is destroyed without checking that it exists,
    /// and it exists only once an assignment came (librdkafka issue 4312, fixed in 2.3.0). A
    /// member stopped after its JoinGroup was answered and before its first assignment (a pod
    /// stopped during its first rebalance) hit `Assertion 'assignor_state' failed` and a
    /// SIGABRT instead of exiting 0.
    ///
    /// - Parameter groupLeft: the member's close terminated its group handling, after which
    ///   librdkafka drops a JoinGroup answer. Otherwise (a close that failed on a fatal error, or
    ///   none) a JoinGroup still outstanding may be answered before the destroy terminates it.
    func destroyMayAbort(groupLeft: Bool) -> Bool {
        guard !assignedOnce else { return false }
        return joinAnswered || (!groupLeft && lastState == "wait-join")
    }

    /// Whether a commit may be sent now.
    var mayCommit: Bool {
        !joining && awaitedJoins.map { completedJoins >= $0 } ?? true
    }

    /// librdkafka changed the join state to `state`.
    mutating func changed(to state: String) {
        if lastState == "wait-join", state == "wait-metadata" || state == "wait-sync" { joinAnswered = true }
        if state == "wait-assign-call" { assignedOnce = true }
        if joining && !Self.joiningStates.contains(state) { completedJoins += 1 }
        lastState = state
        if let awaited = awaitedJoins, completedJoins >= awaited { awaitedJoins = nil }
    }

    /// The coordinator refused a commit with `REBALANCE_IN_PROGRESS`: the group is rebalancing,
    /// so the next commit waits until this member has joined the new generation.
    mutating func commitRefusedForRebalance() {
        awaitedJoins = completedJoins + 1
    }

    /// Gives up waiting for a join that did not come (a member that was not part of the
    /// rebalance it heard about, or a manually assigned consumer): the next commit is sent.
    mutating func stopAwaiting() {
        awaitedJoins = nil
    }

    /// Parses librdkafka's `CGRPJOINSTATE` debug line, `Group "g" changed join state wait-join
    /// -> wait-sync (state up)`, into the new state.
    static func newState(fromLog message: String) -> String? {
        let words = message.split(separator: " ")
        guard let arrow = words.lastIndex(of: "->"), arrow + 1 < words.endIndex else { return nil }
        return String(words[arrow + 1])
    }
}

/// The consumer's ``KafkaGroupJoin``, shared by librdkafka's log callback (its threads), the
/// worker thread that commits and the callers that wait.
final class KafkaGroupJoinGate: Sendable {
    private let state = Mutex(KafkaGroupJoin())
    /// The configured assignment strategy includes a sticky assignor, the kind whose state
    /// librdkafka 2.0.2 frees unchecked (``KafkaGroupJoin/destroyMayAbort(groupLeft:)``); range
    /// and round-robin keep none.
    let assignorKeepsState: Bool

    /// Creates the gate of a consumer whose strategy is `assignmentStrategy`
    /// (`partition.assignment.strategy`, a comma-separated list).
    init(assignmentStrategy: String = KafkaConsumerConfiguration.Assignor.cooperativeSticky.rawValue) {
        self.assignorKeepsState = assignmentStrategy.contains("sticky")
    }

    /// Feeds a librdkafka log line; only `CGRPJOINSTATE` lines change anything.
    func log(facility: String, message: String) {
        guard facility == "CGRPJOINSTATE", let next = KafkaGroupJoin.newState(fromLog: message) else { return }
        state.withLock { $0.changed(to: next) }
    }

    /// A commit was refused with `REBALANCE_IN_PROGRESS`.
    func commitRefusedForRebalance() {
        state.withLock { $0.commitRefusedForRebalance() }
    }

    /// The state now (for tests and logs).
    var current: KafkaGroupJoin { state.withLock { $0 } }

    /// Waits until a commit may be sent, up to `timeout`.
    ///
    /// Polls every 20 ms: commits are a few per second at most, and a poll needs no
    /// continuation bookkeeping on the librdkafka thread that reports the change.
    ///
    /// - Returns: `true` when a commit may be sent (also when only a refused commit's awaited
    ///   join did not come in time: the member may not have been part of that rebalance), `false`
    ///   while this member is still joining.
    func waitUntilCommitAllowed(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current = self.current
            if current.mayCommit { return true }
            if ContinuousClock.now >= deadline || Task.isCancelled {
                if current.joining { return false }
                state.withLock { $0.stopAwaiting() }
                return true
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
