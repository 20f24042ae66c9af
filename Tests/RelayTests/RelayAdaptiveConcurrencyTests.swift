import Foundation
import ReferralKit
import ReferralSandbox
import Relay
import Testing

/// `RELAY_ADAPTIVE_CONCURRENCY` in a whole relay (embedded broker, sandbox over loopback): a
/// backlog sent to a server that sheds whatever exceeds its capacity is delivered in full, with
/// few overload answers, far fewer than with the limit off, and the limit settles near the
/// capacity.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct RelayAdaptiveConcurrencyTests {
    typealias H = RelayGroupHarness

    /// Requests the sandbox takes at once; it answers 503 at once to any beyond.
    static let capacity = 16
    static let events = 1_200

    /// What one run measured.
    struct Run {
        var outcomes: [OutcomeRecord]
        /// 503s the sandbox answered because more than ``capacity`` requests were in flight.
        var overloads: Int
        var requests: Int
        var seconds: Double
        /// The limit gauge, sampled every 100 ms while the backlog was being sent.
        var limits: [Int]
        /// The limit gauge once everything was delivered.
        var finalLimit: Int?
    }

    /// `relay_mmolove_concurrency_limit{server_id="srv_group"}` as the ops server exports it.
    static func limitGauge(port: Int) async -> Int? {
        guard let answer = try? await OpsHarness.get("http://127.0.0.1:\(port)/metrics") else { return nil }
        let series = #"\#(RelayMetrics.Name.concurrencyLimit){server_id="srv_group"} "#
        guard let line = answer.body.split(separator: "\n").first(where: { $0.hasPrefix(series) }) else { return nil }
        return Double(line.dropFirst(series.count)).map { Int($0) }
    }

    /// Seeds 600 accounts (1,200 events) and runs a relay with a window of 256 over a sandbox
    /// that sheds load beyond ``capacity`` (50 ms per request taken), until every outcome is out
    /// or `deadline` passes.
    static func run(adaptive: Bool, deadline: Duration) async throws -> Run {
        let cluster = try await H.cluster(partitions: 3)
        let accounts = (0..<(events / 2)).map { "aimd-\(adaptive ? "on" : "off")-\($0)" }
        try await RelayCircuitBreakerTests.seed(cluster, accounts: accounts)
        let secret = ReferralSecret("aimd-\(UUID().uuidString)")
        let faults = SandboxFaults(latencyMilliseconds: 50, throttleStatus: 503, maxConcurrent: capacity)
        var run: Run?
        try await RelayCircuitBreakerTests.withRelay(
            secrets: ["srv_group": secret], faults: faults,
            configure: {
                $0.delivery.maxInFlight = 256
                $0.delivery.adaptiveConcurrency = adaptive
            },
            cluster: cluster
        ) { sandbox, port in
            let started = ContinuousClock.now
            let done = DeliveryHarness.Locked(false)
            async let sampled: [Int] = {
                var limits: [Int] = []
                while !done.current {
                    // Only while requests go: the group join (about 3 s) sends nothing.
                    if sandbox.store.stats.requests > 0, let limit = await Self.limitGauge(port: port) {
                        limits.append(limit)
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
                return limits
            }()
            let outcomes = try await H.outcomes(cluster, timeout: deadline) { $0.count >= events }
            done.withLock { $0 = true }
            let limits = await sampled
            let stats = sandbox.store.stats
            run = Run(
                outcomes: outcomes,
                overloads: stats.byVerdict[SandboxVerdict.faultOverload.rawValue] ?? 0,
                requests: stats.requests,
                seconds: Double(started.duration(to: .now).components.seconds),
                limits: limits,
                finalLimit: await Self.limitGauge(port: port)
            )
        }
        return try #require(run)
    }

    @Test func aSheddingServerGetsAFewOverloadsAndTheLimitSettlesNearItsCapacity() async throws {
        let on = try await Self.run(adaptive: true, deadline: .seconds(120))
        // Off, the window of 256 goes at once, most of it is shed, and every retry of it meets a
        // server as full as before. It finishes too, at the cost of thousands of 503s.
        let off = try await Self.run(adaptive: false, deadline: .seconds(180))
        print(
            """
            adaptive concurrency over a server taking \(Self.capacity) requests at once, \(Self.events) events, \
            window 256:
              on:  \(on.outcomes.count) outcomes, \(on.overloads) overload answers (503), \(on.requests) requests, \
            \(Int(on.seconds)) s; limit final \(on.finalLimit.map(String.init) ?? "?"), \
            sampled \(on.limits.min() ?? 0)...\(on.limits.max() ?? 0), last ten \(on.limits.suffix(10))
              off: \(off.outcomes.count) outcomes, \(off.overloads) overload answers (503), \(off.requests) requests, \
            \(Int(off.seconds)) s
            """)

        // Everything delivered, nothing rejected or failed.
        #expect(on.outcomes.count == Self.events)
        let statuses = Dictionary(grouping: on.outcomes, by: \.status).mapValues(\.count)
        #expect(statuses == [.advanced: Self.events], "\(statuses)")
        // Bounded: from the initial 32 down to the capacity costs a burst of about 16, then each
        // step over the capacity costs one or a few (measured 59-104 in all).
        #expect(on.overloads <= Self.events / 4, "\(on.overloads) overload answers")
        // Far fewer than with the limit off (measured 3,518-7,037).
        #expect(off.overloads >= 5 * max(on.overloads, 1), "on \(on.overloads), off \(off.overloads)")
        // Settled near the capacity: the last samples and the final value, with a margin for the
        // 10% steps and a loaded machine.
        let settled = (Self.capacity / 2)...(Self.capacity * 3 / 2)
        let final = try #require(on.finalLimit)
        #expect(settled.contains(final), "final limit \(final)")
        let late = on.limits.suffix(max(1, on.limits.count / 2))
        #expect(!late.isEmpty && late.allSatisfy { settled.contains($0) }, "\(on.limits)")
        // And never collapsed: the 16 503s answered to the first 32 requests cut the limit once
        // (to 28), and each later cut needs a request sent after the last one, so it comes down
        // to about the capacity (13 at the very worst), never far below. Cut for every 503, it
        // fell to 3 in this test.
        #expect(on.limits.allSatisfy { $0 >= Self.capacity / 2 }, "\(on.limits)")
    }
}
