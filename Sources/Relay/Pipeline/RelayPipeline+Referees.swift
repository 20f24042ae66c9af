import Foundation
import Kafka
import ReferralKit

/// What the referee store says about one event before it is sent.
enum RefereeVerdict: Sendable, Equatable {
    /// Send it (its token and server filled in from the store when it carried none).
    case send
    /// A milestone without `mmref` whose account the store does not know: not referred.
    case notReferred
    /// A `qualified` whose account's registration failed: not sent, an outcome says why.
    case registrationFailed(RefereeRecord.Registration)
}

extension RelayPipeline {
    /// Consults the referee store about `request` (nothing to consult without a store).
    ///
    /// - `registered`: writes the account as `pending`, unless the store already knows how its
    ///   registration with this token ended (a record read again after a restart).
    /// - `qualified`: waits, out of the window, for an account the store does not know yet: until
    ///   the store is through the milestone's time on every `account-created` partition, at most
    ///   ``refereeWait``. Still unknown, a milestone without `mmref` is not referred and one with
    ///   it is sent (an account from before the store). Known, the store's token and server are
    ///   used (a different `mmref` on the milestone is logged and counted), it waits (at most
    ///   ``qualifiedWait``) while the registration is pending, and is not sent when it failed.
    func consultReferees(_ request: inout DeliveryRequest, _ item: RelayWorkItem) async -> RefereeVerdict {
        guard let store = self.referees else { return .send }
        if request.kind == .registered {
            await self.recordPending(request, store)
            return .send
        }
        let accountID = request.accountID
        var record = await store.lookup(accountID)
        // Not known yet: its account-created may still be on its way (the topics are not
        // ordered with each other), and a qualified must not overtake a registration that
        // will fail. Waits until the store is through the milestone's time, or refereeWait.
        if record == nil {
            let time = item.message.timestamp?.milliseconds ?? Int64(Date().timeIntervalSince1970 * 1000)
            record =
                await self.waitOutOfWindow(item, for: self.refereeWait) {
                    if let found = await store.lookup(accountID) { return found }
                    return store.accountCreatedIsThrough(time) ? .some(nil) : nil
                } ?? nil
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
        if registration == .pending {
            let settled = await self.waitOutOfWindow(item, for: self.qualifiedWait) {
                () -> RefereeRecord.Registration? in
                let now = await store.lookup(accountID)?.registration ?? .pending
                return now == .pending ? nil : now
            }
            registration = settled ?? .pending
        }
        if registration.hasFailed { return .registrationFailed(registration) }
        return .send
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

    private func recordPending(_ request: DeliveryRequest, _ store: RefereeStore) async {
        if let known = await store.lookup(request.accountID), known.mmref == request.mmref,
            known.registration != .pending
        {
            return
        }
        try? await self.writeReferee(
            RefereeRecord(
                accountID: request.accountID, mmref: request.mmref, serverID: request.serverID,
                registration: .pending, updatedAtMilliseconds: Self.nowMilliseconds()),
            store)
    }

    /// Writes a referee record, retrying a transient failure for as long as the relay runs: a
    /// registration the store does not learn holds its account's `qualified` back for
    /// ``refereeWait``. A write that can never succeed (a record larger than the topic takes) is
    /// logged and given up: that account's `qualified` then goes out as for an account from
    /// before the store.
    private func writeReferee(_ record: RefereeRecord, _ store: RefereeStore) async throws {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                try await store.write(record)
                return
            } catch let error as KafkaError where !error.isRetriable && !error.isFatal {
                self.logger.error(
                    "referee store write refused; the store will not know this account",
                    metadata: ["account_id": "\(record.accountID)", "error": "\(error)"])
                return
            } catch {
                try Task.checkCancellation()
                self.logger.warning(
                    "referee store write failed; retrying",
                    metadata: ["account_id": "\(record.accountID)", "error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Polls `check` every 100 ms, out of the window, until it answers or `timeout` passes.
    /// The window slot is given back for the wait and taken again after it.
    private func waitOutOfWindow<Answer: Sendable>(
        _ item: RelayWorkItem, for timeout: Duration, _ check: @Sendable () async -> Answer?
    ) async -> Answer? {
        if let answer = await check() { return answer }
        let slot = self.slot(for: item)
        slot.leave()
        let deadline = ContinuousClock.now + timeout
        var answer: Answer?
        while answer == nil, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
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
    /// Every second, writes to the referee store how far this member's `account-created`
    /// partitions are settled (see ``RefereeProgressTracker``), so milestones without `mmref`
    /// on any instance learn when an account they do not find is not referred.
    func refereeProgressTicker() async {
        guard let store = self.referees else { return }
        while (try? await Task.sleep(for: .seconds(1))) != nil {
            let now = Self.nowMilliseconds()
            let due = self.state.withLock { state -> [RefereeProgress] in
                for partition in state.scheduler.assigned where partition.topic == self.topics.accountCreated {
                    guard let settled = state.scheduler.ledger.settledThrough(partition) else { continue }
                    let end = self.consumer.cachedHighWatermark(partition)
                    state.refereeProgress.settled(
                        partition: partition.partition, before: settled, caughtUp: end.map { settled >= $0 } ?? false,
                        now: now)
                }
                return state.refereeProgress.takeDue(topic: self.topics.accountCreated)
            }
            for marker in due {
                do {
                    try await store.write(marker)
                } catch {
                    self.logger.warning("referee progress write failed", metadata: ["error": "\(error)"])
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
