import Foundation
import ReferralKit
import ReferralSandbox
import Relay
import Testing

/// `RELAY_RATE_LIMIT` in a whole relay: a backlog far faster than the limit reaches the sandbox
/// at the limit, not faster.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RelayRateLimitTests {
    typealias H = RelayGroupHarness

    @Test func aBacklogReachesMMOLoveAtTheConfiguredRate() async throws {
        let cluster = try await H.cluster(partitions: 3)
        let accounts = (0..<600).map { "rate-\($0)" }
        try await RelayCircuitBreakerTests.seed(cluster, accounts: accounts)
        let secret = ReferralSecret("rate-\(UUID().uuidString)")
        let limit = 200.0
        try await RelayCircuitBreakerTests.withRelay(
            secrets: ["srv_group": secret], configure: { $0.delivery.rateLimit = limit }, cluster: cluster
        ) { sandbox, _ in
            let outcomes = try await H.outcomes(cluster, timeout: .seconds(60)) { $0.count >= 1_200 }
            #expect(outcomes.count == 1_200)
            let times = sandbox.store.log.map(\.time).sorted()
            try #require(times.count >= 1_200)
            let rate = Double(times.count - 1) / (times.last! - times.first!)
            // Over the whole run (6 s) at most 5% over. Requests leave evenly spaced; what arrives in
            // one sliding second also depends on the event loops of both sides (a request held
            // up for a few milliseconds arrives together with the next ones): 218 was the worst
            // second seen alone at 200/s and 230 in a full parallel run, so any one second stays within 25%
            // (without the limiter a second carries 1,000 or more).
            // Never faster than the limit. Slower only when the machine cannot keep up: a full
            // test run on two cores measured 90 requests/s here, alone it measures 194-203.
            #expect(rate <= limit * 1.05, "\(rate) requests/s")
            var busiest = 0
            var start = 0
            for end in times.indices {
                while times[end] - times[start] > 1 { start += 1 }
                busiest = max(busiest, end - start + 1)
            }
            #expect(Double(busiest) <= limit * 1.25, "\(busiest) requests in one second")
            print(
                "rate limit \(Int(limit))/s: \(String(format: "%.1f", rate)) requests/s over the run, busiest second \(busiest)"
            )
        }
    }
}
