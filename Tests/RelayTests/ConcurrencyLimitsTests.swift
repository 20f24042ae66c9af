import Logging
import Prometheus
import ReferralKit
import Testing

@testable import Relay

/// ``ConcurrencyLimits``, the per-server gate: first come first served, cancellable waiters, a
/// permit given back whatever the request's end, servers independent, answers moving the limit
/// and its metrics.
@Suite struct ConcurrencyLimitsTests {
    static func answer(_ status: Int, _ body: String = "") -> DeliveryAnswer {
        .response(SendResult(status: status, body: Array(body.utf8)))
    }

    static let advanced = answer(200, #"{"ok":true,"referral_id":"ref_1","state":"registered"}"#)
    static let overloaded = answer(503, #"{"error":"overloaded"}"#)

    static func limits(
        initial: Int,
        servers: [String] = ["a", "b"]
    ) -> (ConcurrencyLimits, PrometheusCollectorRegistry) {
        let registry = PrometheusCollectorRegistry()
        let limits = ConcurrencyLimits(
            settings: .init(initial: initial, maximum: 16),
            servers: servers,
            metrics: RelayMetrics(factory: PrometheusMetricsFactory(registry: registry), serverIDs: servers),
            logger: Logger(label: "concurrency-limits-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return (limits, registry)
    }

    /// Holds a permit of `server` until `released` is set.
    static func hold(
        _ limits: ConcurrencyLimits,
        _ server: String,
        until released: DeliveryHarness.Locked<Bool>,
        answering answer: DeliveryAnswer? = nil
    ) async throws {
        _ = try await limits.withPermit(server) {
            while !released.current { try await Task.sleep(for: .milliseconds(5)) }
            return answer
        }
    }

    @Test func waitersGetTheirPermitsInArrivalOrder() async throws {
        let (limits, _) = Self.limits(initial: 1)
        let released = DeliveryHarness.Locked(false)
        let order = DeliveryHarness.Locked<[Int]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Self.hold(limits, "a", until: released) }
            #expect(try await DeliveryHarness.eventually { limits.inFlight(to: "a") == 1 })
            for index in 0..<5 {
                group.addTask {
                    _ = try await limits.withPermit("a") {
                        order.withLock { $0.append(index) }
                        return nil
                    }
                }
                #expect(try await DeliveryHarness.eventually { limits.waiting(for: "a") == index + 1 })
            }
            released.withLock { $0 = true }
            try await group.waitForAll()
        }
        #expect(order.current == [0, 1, 2, 3, 4])
        #expect(limits.inFlight(to: "a") == 0)
        #expect(limits.waiting(for: "a") == 0)
    }

    @Test func aCancelledWaiterLeavesTheQueueAndThrows() async throws {
        let (limits, _) = Self.limits(initial: 1)
        let released = DeliveryHarness.Locked(false)
        let holder = Task { try await Self.hold(limits, "a", until: released) }
        #expect(try await DeliveryHarness.eventually { limits.inFlight(to: "a") == 1 })
        let sent = DeliveryHarness.Locked(false)
        let waiter = Task {
            try await limits.withPermit("a") {
                sent.withLock { $0 = true }
                return nil
            }
        }
        #expect(try await DeliveryHarness.eventually { limits.waiting(for: "a") == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(limits.waiting(for: "a") == 0)
        released.withLock { $0 = true }
        try await holder.value
        // Nobody was handed the holder's permit: none is out, and the cancelled request never ran.
        #expect(limits.inFlight(to: "a") == 0)
        #expect(!sent.current)
        // An already-cancelled task never waits and takes nothing.
        let late = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await limits.withPermit("a") { Self.advanced }
        }
        await #expect(throws: CancellationError.self) { try await late.value }
        #expect(limits.inFlight(to: "a") == 0)
    }

    @Test func thePermitIsGivenBackWhenTheRequestThrows() async throws {
        let (limits, _) = Self.limits(initial: 2)
        await #expect(throws: CancellationError.self) {
            try await limits.withPermit("a") { throw CancellationError() }
        }
        #expect(limits.inFlight(to: "a") == 0)
        #expect(limits.limit(of: "a") == 2)
        // Nothing sent: no sample either.
        #expect(try await limits.withPermit("a") { nil } == nil)
        #expect(limits.inFlight(to: "a") == 0)
        #expect(limits.limit(of: "a") == 2)
    }

    @Test func aServerAtItsLimitHoldsBackOnlyItsOwnRequests() async throws {
        let (limits, _) = Self.limits(initial: 1)
        let released = DeliveryHarness.Locked(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Self.hold(limits, "a", until: released) }
            #expect(try await DeliveryHarness.eventually { limits.inFlight(to: "a") == 1 })
            group.addTask { _ = try await limits.withPermit("a") { nil } }
            #expect(try await DeliveryHarness.eventually { limits.waiting(for: "a") == 1 })
            // Server b (and a server nobody configured) go at once.
            #expect(try await limits.withPermit("b") { Self.advanced } != nil)
            #expect(try await limits.withPermit("unconfigured") { Self.advanced } != nil)
            #expect(limits.waiting(for: "a") == 1)
            released.withLock { $0 = true }
            try await group.waitForAll()
        }
    }

    @Test func aBurstOfOverloadsLowersTheLimitOnceAndIsReported() async throws {
        let (limits, registry) = Self.limits(initial: 4)
        let metric = { (name: String) in DeliveryHarness.metric(in: registry, name, [("server_id", "a")]) }
        // Reported from the start, before any request.
        #expect(DeliveryHarness.metric(in: registry, RelayMetrics.Name.concurrencyLimit, [("server_id", "b")]) == 4)
        let released = DeliveryHarness.Locked(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { try await Self.hold(limits, "a", until: released, answering: Self.overloaded) }
            }
            #expect(try await DeliveryHarness.eventually { limits.inFlight(to: "a") == 4 })
            released.withLock { $0 = true }
            try await group.waitForAll()
        }
        #expect(limits.limit(of: "a") == 3)
        #expect(metric(RelayMetrics.Name.concurrencyLimit) == 3)
        #expect(metric(RelayMetrics.Name.concurrencyLimitDecreases) == 1)
        // Four requests at a limit of three: three found it in use (not the first, which went
        // alone; the fourth took the first one's permit), and three such successes raise it.
        released.withLock { $0 = false }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { try await Self.hold(limits, "a", until: released, answering: Self.advanced) }
            }
            #expect(
                try await DeliveryHarness.eventually { limits.inFlight(to: "a") == 3 && limits.waiting(for: "a") == 1 })
            released.withLock { $0 = true }
            try await group.waitForAll()
        }
        #expect(limits.limit(of: "a") == 4)
        #expect(metric(RelayMetrics.Name.concurrencyLimit) == 4)
    }

    @Test func whatEachAnswerSaysAboutLoad() {
        let transport = DeliveryAnswer.transportFailure(ReferralError(.transportFailure, reason: "timed out"))
        for answer in [Self.answer(429), Self.answer(503), Self.answer(500), Self.answer(408), transport] {
            #expect(ConcurrencyLimits.sample(answer) == .overload, "\(answer.status)")
        }
        let rejected = Self.answer(400, #"{"error":"missing field token"}"#)
        let invalidTransition = Self.answer(422, #"{"ok":false,"error":"invalid transition"}"#)
        for answer in [Self.advanced, rejected, invalidTransition] {
            #expect(ConcurrencyLimits.sample(answer) == .success, "\(answer.status)")
        }
        #expect(ConcurrencyLimits.sample(Self.answer(401, #"{"error":"bad_signature"}"#)) == .ignored)
    }
}
