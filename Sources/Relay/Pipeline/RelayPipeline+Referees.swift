import Foundation
import Kafka
import ReferralKit

/// What the referee store says about one event before it is sent.
enum RefereeVerdict: Sendable, Equatable {
    /// Send it (its token and server filled in from the store when it carried none).
    case send
    /// A milestone without `mmref` whose account the store does not know: not referred.
    case notReferred
    /// A milestone whose account the store does not know *yet*: it waits in the scheduler's
    /// ``RefereeGate`` until the store is through its time, and is then consulted again.
    case waitForStore
    /// A `qualified` whose account's registration failed: not sent, an outcome says why.
    case registrationFailed(RefereeRecord.Registration)
}

extension RelayPipeline {
    /// Consults the referee store about `request` (nothing to consult without a store).
    ///
    /// - `registered`: sent; the store's writes of it run meanwhile (``recordInStore(_:_:)``).
    /// - `qualified`: an account the store does not know yet waits (``RelayVerdict/waitForStore``,
    ///   as a record in the scheduler, see ``RefereeGate``) until the store is through the
    ///   milestone's time on every `account-created` partition. Still unknown after that wait, a
    ///   milestone without `mmref` is not referred and one with it is sent (an account from
    ///   before the store). Known, the store's token and server are
    ///   used (a different `mmref` on the milestone is logged and counted), it waits (at most
    ///   ``qualifiedWait``) while the registration is pending (or `failed` while this instance
    ///   is sending that account's `registered` again), and is not sent when it failed.
    func consultReferees(_ request: inout DeliveryRequest, _ item: RelayWorkItem) async -> RefereeVerdict {
        guard let store = self.referees else { return .send }
        // A registered's store writes run while it is sent (``recordInStore(_:_:)``).
        if request.kind == .registered { return .send }
        let accountID = request.accountID
        let record = await store.lookup(accountID)
        // Not known yet: its account-created may still be on its way (the topics are not
        // ordered with each other), and a qualified must not overtake a registration that
        // will fail. Waits until the store is through the milestone's time (a timestamp in the
        // future counts as the present: see RefereeGate).
        if record == nil, !item.storeWaitOver {
            let now = Self.nowMilliseconds()
            let time = min(item.message.timestamp?.milliseconds ?? now, now)
            if !self.refereesAreThrough(time, store) { return .waitForStore }
        }
        guard let record else {
            // Unknown to the store: not referred when the milestone carried no token; else an
            // account from before the store existed, sent as it comes.
            return request.tokenFromStore ? .notReferred : .send
        }
        if request.tokenFromStore {
            request.mmref = record.mmref
            request.serverID = record.serverID ?? request.serverID
        } else if record.mmref != request.mmref {
            self.metrics.refereeTokenConflict()
            self.logger.warning(
                "milestone token differs from the one its account registered with; the store's is used",
                metadata: ["account_id": "\(request.accountID)", "server_event_id": "\(request.serverEventID)"])
            request.mmref = record.mmref
            request.serverID = record.serverID ?? request.serverID
        }
        var registration = record.registration
        // Pending, or `failed` (not final) while this instance is sending the account's
        // registered again (a backfill after an outage, a redelivery): waits for how it ends.
        if registration == .pending || (registration == .failed && self.registrationUnsettled(accountID)) {
            let settled = await self.waitOutOfWindow(item, for: self.qualifiedWait, wakeOn: accountID) {
                () -> RefereeRecord.Registration? in
                let now = await store.lookup(accountID)?.registration ?? .pending
                // Still `failed` while the registered is being sent again: not its ending yet.
                if now == .pending || (now == .failed && self.registrationUnsettled(accountID)) { return nil }
                return now
            }
            // Run out: still pending is sent (as for an account the store lost track of), still
            // `failed` is refused (as without the resend).
            registration = settled ?? registration
        }
        if registration.hasFailed { return .registrationFailed(registration) }
        return .send
    }

    /// Answers, at intake and without a task, what the referee store can answer from memory
    /// about a milestone without `mmref`: when the store certainly does not hold its account
    /// (``AccountFilter``) and is through its time, it is not referred (`decision` becomes a
    /// skip, settled at once, as without a store); when the store certainly does not hold it but
    /// is not through its time yet, it goes straight to the referee gate (returns the Unix
    /// milliseconds now, for ``RelayScheduler/receive(_:_:at:waitForStore:)``). Anything else
    /// (the store may know the account) is consulted in the record's task as usual.
    ///
    /// A milestone with `mmref` is not sent to the gate here, though its task will send it
    /// there on a cold backlog: gated at intake, milestones bypass the window, which is what
    /// paces their reading, and bench row 11 (an outage with 300,000 events behind it) then
    /// deadlocked (docs/DESIGN.md, "The referee store's share, again").
    func screenWithReferees(_ message: KafkaConsumerMessage, _ decision: inout RelayDecision) -> Int64? {
        guard let store = self.referees, case .deliver(let request) = decision, request.tokenFromStore,
            !store.mayKnow(request.accountID)
        else { return nil }
        let now = Self.nowMilliseconds()
        if self.refereesAreThrough(min(message.timestamp?.milliseconds ?? now, now), store) {
            decision = .skip(.notReferred)
            return nil
        }
        return now
    }

    /// The time up to which every `account-created` partition is known to be in the store
    /// (`nil`: not known for some). The live relay reads it from the store's progress records;
    /// a backfill writes the accounts of its window itself, so it uses its own progress: its
    /// settled prefix of each `account-created` partition of the window (see
    /// ``RefereeProgressTracker``), and past the end of a partition's window once all of it
    /// settled. (A milestone whose account-created is before the window finds its account only
    /// if the store learnt it then.)
    func refereesThrough(_ store: RefereeStore) -> Int64? {
        guard let replay else { return store.accountCreatedThrough() }
        return self.state.withLock { state -> Int64? in
            var least = Int64.max
            for (partition, range) in replay.plan.ranges where partition.topic == self.topics.accountCreated {
                guard !range.isEmpty else { continue }
                guard let settled = state.scheduler.ledger.settledThrough(partition) else { return nil }
                if settled >= range.upperBound { continue }
                state.refereeProgress.settled(partition: partition.partition, before: settled, caughtUp: false, now: 0)
                least = min(least, state.refereeProgress.through[partition.partition] ?? Int64.min)
            }
            return least
        }
    }

    /// Whether this instance has read a `registered` of `accountID` that has not settled.
    func registrationUnsettled(_ accountID: String) -> Bool {
        self.state.withLock { $0.scheduler.dependencyWork.contains(account: accountID) }
    }

    /// Whether every `account-created` partition is known to be in the store up to `time`.
    func refereesAreThrough(_ time: Int64, _ store: RefereeStore) -> Bool {
        (self.refereesThrough(store) ?? Int64.min) >= time
    }

    /// After a `registered` was delivered: writes how its registration ended.
    func recordRegistration(_ request: DeliveryRequest, _ result: DeliveryResult) async throws {
        guard let store = self.referees, request.kind == .registered else { return }
        try await self.writeReferee(
            RefereeRecord(
                accountID: request.accountID, mmref: request.mmref, serverID: request.serverID,
                registration: RefereeRecord.Registration(result.status), updatedAtMilliseconds: Self.nowMilliseconds()),
            store)
    }

    /// How long a `registered` of an account the store does not know may take before its
    /// account is written as `pending`: one Kafka round trip is what the unconditional `pending`
    /// write used to take, and a delivery that answers within this writes only its ending.
    static let pendingAfter = Duration.milliseconds(200)

    /// The referee store's writes of a `registered`, beside its delivery: `pending` where it is
    /// needed, then, once `delivered` is resolved, how the registration ended (nothing when the
    /// delivery ended without a result). Both precede only the record's settling: the store's
    /// progress claim ("every referred account up to here is in the store") needs the ending
    /// written before the record settles, not before it is sent; awaited first, a `pending`
    /// write cost a Kafka round trip per event (row 4 fell from 5,169 to 1,994 events/s).
    ///
    /// - Known with the same token and a final ending (a record read again after a restart):
    ///   no `pending`; MMOLove's verdict stands.
    /// - Known as `failed` (retries used up, an outage) or `pending`, or with another token:
    ///   `pending` at once, so that its `qualified` waits for how this attempt ends rather than
    ///   being refused for the last one (a backfill after an outage, a redelivery).
    /// - Unknown, and answered within ``pendingAfter``: no `pending`. A milestone of an account
    ///   the store does not know waits in the ``RefereeGate`` until the store is through its
    ///   time, and this `account-created` settles only once the ending is written, so for a
    ///   delivery this short the absence says what `pending` would. Writing it cost a Kafka
    ///   record, a SQLite row and its read back on every instance per `registered`.
    /// - Unknown and slower (retries, an outage, a held server): `pending` once the time is up,
    ///   as before. Without it, a milestone stamped more than the store's 5 s lateness before
    ///   its `account-created`, or one released by `RELAY_REFEREE_WAIT_SECONDS` before any
    ///   progress exists, would find no account for the whole delivery: skipped as not
    ///   referred, or sent before a registration that then fails.
    ///
    /// This task runs only for an account the store may know (``AccountFilter``); one it
    /// certainly does not know follows the last two rules without it: its delivery is watched
    /// by ``RegistrationsInFlight`` and ``slowRegistrationLoop()`` writes the `pending`.
    func recordInStore(_ request: DeliveryRequest, _ delivered: OneShot<DeliveryResult>) async throws {
        guard let store = self.referees, request.kind == .registered else { return }
        let known = await store.lookup(request.accountID)
        let result: DeliveryResult?
        if known == nil, case .some(let early) = await delivered.value(within: Self.pendingAfter) {
            result = early
        } else {
            await self.recordPending(request, known: known, store)
            result = await delivered.value
        }
        guard let result else { return }
        try await self.recordRegistration(request, result)
    }

    /// Every 50 ms, writes `pending` for each `registered` of an account the store did not
    /// know whose delivery has run for ``pendingAfter`` (``RegistrationsInFlight``), each in a
    /// task of its own (one retrying through a Kafka outage holds no other back); that
    /// delivery's ending waits for it. A task per slow delivery, not per delivery.
    func slowRegistrationLoop() async {
        guard let store = self.referees else { return }
        await withDiscardingTaskGroup { group in
            while (try? await Task.sleep(for: .milliseconds(50))) != nil {
                let due = self.registrationsInFlight.withLock {
                    $0.claim(olderThan: Self.pendingAfter, now: .now) { PendingWrite() }
                }
                for (request, pending) in due {
                    group.addTask {
                        defer { pending.written.resolve(()) }
                        await self.recordPending(request, known: nil, store) { pending.isAbandoned }
                    }
                }
            }
        }
    }

    /// Writes a `registered`'s account as `pending`, unless the store knows how a registration
    /// with this token ended (`known`): MMOLove's verdict on this token is final. `failed`
    /// (retries used up, an outage) is not: this `registered` is being sent again, and its
    /// `qualified` must wait for how it ends this time.
    ///
    /// - Parameter abandoned: Whether the delivery ended without an ending: retries stop.
    private func recordPending(
        _ request: DeliveryRequest, known: RefereeRecord?, _ store: RefereeStore,
        abandoned: @Sendable () -> Bool = { false }
    ) async {
        if let known, known.mmref == request.mmref, known.registration != .pending, known.registration != .failed {
            return
        }
        try? await self.writeReferee(
            RefereeRecord(
                accountID: request.accountID, mmref: request.mmref, serverID: request.serverID,
                registration: .pending, updatedAtMilliseconds: Self.nowMilliseconds()),
            store, abandoned: abandoned)
    }

    /// Writes a referee record, retrying a transient failure for as long as the relay runs: a
    /// registration the store does not learn holds its account's `qualified` back (its
    /// partition's progress is not written until this record settles). A write that can never
    /// succeed (a record larger than the topic takes) is logged and given up: that account's
    /// `qualified` then goes out as for an account from before the store.
    ///
    /// Only a record failure that is permanent gives up. A timed-out delivery (an outage longer
    /// than `message.timeout.ms`) or a send failed by the producer's close at shutdown is not:
    /// given up, the record settled, was committed and claimed by progress records while the
    /// store never learnt the registration. Cancelled (shutdown), the record stays unsettled
    /// and is read again.
    ///
    /// A `pending` written for a delivery by ``slowRegistrationLoop()`` stops retrying once
    /// that delivery ended without an ending (`abandoned`), as it stopped when it was the
    /// delivery's own child task and was cancelled with it.
    private func writeReferee(
        _ record: RefereeRecord, _ store: RefereeStore, abandoned: @Sendable () -> Bool = { false }
    ) async throws {
        let refusal = try await RefereeWriteRetry().run(
            abandoned: abandoned,
            retrying: { error in
                self.logger.warning(
                    "referee store write failed; retrying",
                    metadata: ["account_id": "\(record.accountID)", "error": "\(error)"])
            }
        ) {
            try await store.write(record)
        }
        if let refusal {
            self.logger.error(
                "referee store write refused; the store will not know this account",
                metadata: ["account_id": "\(record.accountID)", "error": "\(refusal)"])
        }
    }

    /// Asks `check` again each time the store applies a record of `accountID`, and every 100 ms
    /// regardless (an apply between a check and the wait's registration wakes nobody; neither
    /// does a `registered` that settles), out of the window, until it answers or `timeout`
    /// passes. The window slot is given back for the wait and taken again after it.
    private func waitOutOfWindow<Answer: Sendable>(
        _ item: RelayWorkItem, for timeout: Duration, wakeOn accountID: String, _ check: @Sendable () async -> Answer?
    ) async -> Answer? {
        if let answer = await check() { return answer }
        let slot = self.slot(for: item)
        slot.leave()
        let deadline = ContinuousClock.now + timeout
        var answer: Answer?
        while answer == nil, ContinuousClock.now < deadline, !Task.isCancelled {
            await self.registrationWakeups.wait(for: accountID, upTo: .milliseconds(100))
            answer = await check()
        }
        try? await slot.enter()
        return answer
    }

    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

extension DeliveryResult {
    /// The result of a `qualified` not sent because its account's registration failed.
    static func registrationFailed(_ registration: RefereeRecord.Registration) -> DeliveryResult {
        DeliveryResult(
            status: .registrationFailed, httpStatus: nil,
            error: "not sent: the account's registered ended \(registration.rawValue)", attempts: 0,
            firstAttemptAt: nil, completedAt: Date())
    }
}

extension RelayPipeline {
    /// Each time the store believes new progress, and every 100 ms regardless (a wait that runs
    /// out; a replay's own progress), hands the milestones waiting for the referee store that
    /// its progress has reached back to the scheduler (one pass over a heap, however many
    /// wait). Those without `mmref` whose account the store certainly does not hold are settled
    /// there and then as not referred (no task, no lookup); the others are consulted again in a
    /// task.
    func refereeGateLoop() async {
        guard let store = self.referees else { return }
        while !Task.isCancelled {
            await store.progressBelieved.wait(upTo: .milliseconds(100))
            if Task.isCancelled { return }
            let through = self.refereesThrough(store)
            let now = ContinuousClock.now
            let skipped = self.update {
                $0.releaseFromStore(through: through, now: now, wait: self.refereeWait) { item in
                    guard case .deliver(let request) = item.decision, request.tokenFromStore else { return false }
                    return !store.mayKnow(request.accountID)
                }
            }
            for item in skipped {
                self.metrics.skipped(topic: item.message.topic, reason: .notReferred)
                self.tally.skipped(reason: SkipReason.notReferred.rawValue)
            }
        }
    }

    /// Writes to the referee store how far this member's `account-created` partitions are
    /// settled (see ``RefereeProgressTracker``), so milestones without `mmref` on any instance
    /// learn when an account they do not find is not referred. Looks every 50 ms; the tracker
    /// writes a partition four times a second, and at once when it caught up after a backlog.
    func refereeProgressTicker() async {
        guard let store = self.referees else { return }
        while (try? await Task.sleep(for: .milliseconds(50))) != nil {
            let now = Self.nowMilliseconds()
            let due = self.state.withLock { state -> [RefereeProgress] in
                for partition in state.scheduler.assigned where partition.topic == self.topics.accountCreated {
                    let end = self.consumer.cachedHighWatermark(partition)
                    // Nothing read or committed yet: through the present only when it is empty.
                    guard let settled = state.scheduler.ledger.settledThrough(partition) ?? (end == 0 ? 0 : nil)
                    else { continue }
                    state.refereeProgress.settled(
                        partition: partition.partition, before: settled, caughtUp: end.map { settled >= $0 } ?? false,
                        now: now)
                }
                return state.refereeProgress.takeDue(topic: self.topics.accountCreated, now: .now)
            }
            // Sent together (one round trip, not one per partition).
            await withTaskGroup(of: Void.self) { group in
                for marker in due {
                    group.addTask {
                        do {
                            try await store.write(marker)
                        } catch {
                            self.logger.warning("referee progress write failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
        }
    }
}

extension RelayPipeline {
    /// Starts the referee store, follows its topic in a task of its own and waits until the
    /// local copy is restored; `nil` without a store.
    ///
    /// - Throws: ``RefereeStoreError`` (a missing topic) or a Kafka error.
    func startReferees() async throws -> Task<Void, any Error>? {
        guard let store = self.referees else { return nil }
        // A milestone waiting for an account goes as soon as the account is written.
        store.onApplied { [weak self] accounts in
            self?.update { ((), $0.releaseFromStore(accounts: accounts)) }
            self?.registrationWakeups.wake(accounts)
        }
        try await store.start()
        let following = Task {
            do {
                try await store.follow()
            } catch {
                self.fail(error)
                store.markRestored()
                throw error
            }
        }
        await store.waitUntilRestored()
        return following
    }
}
