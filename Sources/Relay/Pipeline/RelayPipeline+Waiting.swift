import Kafka

extension RelayPipeline {
    /// The window slot of a record's delivery (see ``DeliverySlot``).
    func slot(for item: RelayWorkItem) -> DeliverySlot {
        let ticket = item.ticket
        let timestamp = item.message.timestamp?.milliseconds
        return DeliverySlot(
            leave: { [self] in self.update { ((), $0.park(ticket)) } },
            enter: { [self] in try await self.enterWindow(ticket) },
            registeredMayStillArrive: { [self] in
                self.state.withLock { state in
                    state.scheduler.dependencyBehind(timestamp) { self.readLimit(of: $0) }
                }
            }
        )
    }

    /// Waits (without blocking a thread) until the scheduler gives the parked delivery of
    /// `ticket` a window slot again.
    ///
    /// - Throws: `CancellationError` when cancelled first; the slot is then not held.
    func enterWindow(_ ticket: OffsetTicket) async throws {
        let waiter = self.state.withLock { $0.newWaiter() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let effects = self.state.withLock { state -> Effects? in
                    // Checked under the lock: a cancellation handler that ran before this found
                    // no waiter to remove, so none may be registered now.
                    if Task.isCancelled { return nil }
                    state.slotWaiters[waiter] = continuation
                    return state.effects(of: state.scheduler.unpark(ticket, waiter: waiter))
                }
                guard let effects else { return continuation.resume(throwing: CancellationError()) }
                self.perform(effects)
            }
        } onCancel: {
            let continuation = self.state.withLock { $0.slotWaiters.removeValue(forKey: waiter) }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Waits until no started work of `partitions` (all when `nil`) is left, or `timeout`
    /// passes, or the caller is cancelled.
    ///
    /// - Returns: Whether the work ended in time.
    @discardableResult
    func waitUntilIdle(_ partitions: Set<KafkaTopicPartition>?, timeout: Duration) async -> Bool {
        let waiter = self.state.withLock { state in
            let waiter = state.newWaiter()
            state.idleWaiters[waiter] = .pending
            return waiter
        }
        self.update { ((), $0.waitUntilIdle(partitions, waiter: waiter)) }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now = self.state.withLock { state -> Bool in
                        guard case .pending = state.idleWaiters[waiter] else { return true }
                        state.idleWaiters[waiter] = .waiting(continuation)
                        return false
                    }
                    if now { continuation.resume() }
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let idle = await group.next() ?? false
            // Whichever came first, the other must end: forget the idle wait (a child that has
            // not registered yet then finds no entry and returns at once).
            let pending = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.scheduler.cancelIdleWait(waiter)
                guard case .waiting(let continuation) = state.idleWaiters.removeValue(forKey: waiter) else {
                    return nil
                }
                return continuation
            }
            pending?.resume()
            group.cancelAll()
            return idle
        }
    }
}
