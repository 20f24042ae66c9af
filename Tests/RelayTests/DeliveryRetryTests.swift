import Foundation
import ReferralKit
import ReferralSandbox
import Relay
import Testing

/// Retryable failures (5xx, dropped connections, throttling) are retried with the same bytes,
/// re-signed each time, until MMOLove takes the event or the attempt limit is spent.
@Suite struct DeliveryRetryTests {
    typealias H = DeliveryHarness

    /// A signing clock that moves one second per signature, so every attempt has its own `t`
    /// even when retries are milliseconds apart.
    static func tickingClock() -> ReferralClock {
        let ticks = DeliveryHarness.Locked<Int64>(0)
        let base = ReferralClock.system.now()
        return ReferralClock {
            let tick = ticks.withLock { count -> Int64 in
                count += 1
                return count
            }
            return base + tick
        }
    }

    @Test func serverErrorsAreRetriedWithTheSameBytesAndAFreshSignature() async throws {
        try await H.run(faults: SandboxFaults(failFirst: 3), signingClock: Self.tickingClock()) { harness in
            let result = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1"))
            #expect(result.status == .advanced)
            #expect(result.attempts == 4)
            #expect(result.httpStatus == 200)
            let log = harness.log(serverEventID: "reg-acc-1")
            #expect(log.map(\.status) == [500, 500, 500, 200])
            #expect(Set(log.map(\.body)).count == 1)
            #expect(Set(try log.map(H.signingTime)).count == 4)
            #expect(
                harness.metric(RelayMetrics.Name.retries, [("event", "registered"), ("reason", "server_error")]) == 3)
            #expect(harness.metric(RelayMetrics.Name.httpDuration + "_count", [("event", "registered")]) == 4)
        }
    }

    @Test func manyEventsUnderAFailureRateAllAdvance() async throws {
        try await H.run(faults: SandboxFaults(failRate: 0.3, dropRate: 0.1)) { harness in
            let results = try await withThrowingTaskGroup(of: DeliveryResult.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        try await harness.deliverer.deliver(
                            H.request(.registered, account: "acc-\(index)", mmref: "mmr_\(index)"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 30)
            #expect(results.allSatisfy { $0.status == .advanced })
            #expect(results.map(\.attempts).reduce(0, +) > 30)
            // Exactly one accepted registered per account at the sandbox.
            #expect(harness.server.store.log.filter { $0.verdict == .advanced }.count == 30)
        }
    }

    @Test func droppedConnectionsAreRetried() async throws {
        try await H.run(faults: SandboxFaults(dropFirst: 2)) { harness in
            let result = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1"))
            #expect(result.status == .advanced)
            #expect(result.attempts == 3)
            #expect(harness.metric(RelayMetrics.Name.retries, [("reason", "transport")]) == 2)
        }
    }

    @Test(arguments: [429, 503])
    func retryAfterIsHonoured(status: Int) async throws {
        let faults = SandboxFaults(throttleFirst: 1, throttleStatus: status, retryAfter: "1")
        try await H.run(faults: faults) { harness in
            let result = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1"))
            #expect(result.status == .advanced)
            #expect(result.attempts == 2)
            let log = harness.log(serverEventID: "reg-acc-1")
            #expect(log.map(\.status) == [status, 200])
            guard log.count == 2 else { return }
            // The backoff alone is at most 50 ms; the second attempt waited for Retry-After.
            #expect(log[1].time - log[0].time >= 1.0)
            // A second apart, so the real clock signed them with different `t`.
            #expect(try H.signingTime(log[0]) != H.signingTime(log[1]))
            #expect(harness.metric(RelayMetrics.Name.retries, [("reason", "throttled")]) == 1)
        }
    }

    @Test func exhaustedAttemptsFailWithTheLastStatus() async throws {
        try await H.run(faults: SandboxFaults(failFirst: 10), delivery: H.fastDelivery(maxAttempts: 3)) { harness in
            let result = try await harness.deliverer.deliver(H.request(.registered, account: "acc-1"))
            #expect(result.status == .failed)
            #expect(result.attempts == 3)
            #expect(result.httpStatus == 500)
            #expect(result.error == "gave up after 3 attempts; last: HTTP 500")
            #expect(harness.log(serverEventID: "reg-acc-1").count == 3)
        }
    }
}
