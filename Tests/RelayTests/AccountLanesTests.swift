import Relay
import Testing

/// One delivery at a time per account, `registered` first, cancelled waiters removed, idle
/// accounts forgotten.
@Suite struct AccountLanesTests {
    @Test func waitingRegisteredIsServedBeforeAnEarlierWaitingQualified() async throws {
        let lanes = AccountLanes()
        let order = DeliveryHarness.Locked<[String]>([])
        try await lanes.acquire("acc", kind: .registered)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await lanes.withLane("acc", kind: .qualified) { order.withLock { $0.append("qualified") } }
            }
            #expect(try await DeliveryHarness.eventually { lanes.waiters(for: "acc") == 1 })
            group.addTask {
                try await lanes.withLane("acc", kind: .qualified) { order.withLock { $0.append("qualified-2") } }
            }
            #expect(try await DeliveryHarness.eventually { lanes.waiters(for: "acc") == 2 })
            group.addTask {
                try await lanes.withLane("acc", kind: .registered) { order.withLock { $0.append("registered") } }
            }
            #expect(try await DeliveryHarness.eventually { lanes.waiters(for: "acc") == 3 })
            lanes.release("acc")
            try await group.waitForAll()
        }
        #expect(order.current == ["registered", "qualified", "qualified-2"])
        #expect(lanes.busyAccounts == 0)
    }

    @Test func oneHolderPerAccountManyAccountsAtOnce() async throws {
        let lanes = AccountLanes()
        let current = DeliveryHarness.Locked<[String: Int]>([:])
        let highest = DeliveryHarness.Locked<[String: Int]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<60 {
                let account = "acc-\(index % 3)"
                group.addTask {
                    try await lanes.withLane(account, kind: index % 2 == 0 ? .registered : .qualified) {
                        let now = current.withLock { counts -> Int in
                            counts[account, default: 0] += 1
                            return counts[account]!
                        }
                        highest.withLock { $0[account] = max($0[account] ?? 0, now) }
                        try await Task.sleep(for: .milliseconds(2))
                        current.withLock { $0[account, default: 0] -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(highest.current == ["acc-0": 1, "acc-1": 1, "acc-2": 1])
        // Different accounts do not wait for each other.
        try await lanes.acquire("a", kind: .qualified)
        try await lanes.acquire("b", kind: .qualified)
        #expect(lanes.busyAccounts == 2)
        lanes.release("a")
        lanes.release("b")
        #expect(lanes.busyAccounts == 0)
    }

    @Test func cancellingAWaiterRemovesItAndThrows() async throws {
        let lanes = AccountLanes()
        try await lanes.acquire("acc", kind: .registered)
        let waiter = Task { try await lanes.acquire("acc", kind: .qualified) }
        #expect(try await DeliveryHarness.eventually { lanes.waiters(for: "acc") == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(lanes.waiters(for: "acc") == 0)
        lanes.release("acc")
        // Nobody was handed the account: it is idle and forgotten.
        #expect(lanes.busyAccounts == 0)
        // An already-cancelled task never waits.
        try await lanes.acquire("acc", kind: .registered)
        let late = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await lanes.acquire("acc", kind: .registered)
        }
        await #expect(throws: CancellationError.self) { try await late.value }
        #expect(lanes.waiters(for: "acc") == 0)
        lanes.release("acc")
        #expect(lanes.busyAccounts == 0)
    }

    @Test func idleAccountsAreForgotten() async throws {
        let lanes = AccountLanes()
        for index in 0..<10_000 {
            try await lanes.withLane("acc-\(index)", kind: .registered) {}
        }
        #expect(lanes.busyAccounts == 0)
    }
}
