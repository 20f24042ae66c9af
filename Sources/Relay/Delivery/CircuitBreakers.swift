import Foundation
import Logging
import ReferralKit
import Synchronization

/// The circuit breakers of every MMOLove server (``CircuitBreaker``), shared by all deliveries:
/// turns answers into signals, holds requests to an open server (outside the in-flight window,
/// so other servers' events keep flowing), elects one request at a time to probe it, and
/// reports readiness, metrics and one log line per opening and per closing.
///
/// A held request gives its window slot back while it waits; when enough are held, the
/// scheduler holds the partitions that fed them (its parked-deliveries rule), so consumption of
/// a failing server's events pauses while other servers' events keep going.
final class CircuitBreakers: Sendable {
    private struct State: Sendable {
        var breakers: [String: CircuitBreaker] = [:]
        /// Held requests per server, woken when the breaker changes.
        var waiters: [String: [UInt64: CheckedContinuation<Void, any Error>]] = [:]
        /// Counts each server's breaker changes, so a request that decided to wait on a state
        /// that has changed since (its wake-up already went out) does not wait at all.
        var versions: [String: UInt64] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Told the server after each change of its breaker's state (see ``onChange(_:)``).
    private let listeners = Mutex<[@Sendable (String) -> Void]>([])
    private let settings: CircuitBreaker.Settings
    private let health: RelayHealth
    private let metrics: RelayMetrics
    private let logger: Logger

    init(settings: CircuitBreaker.Settings = .init(), health: RelayHealth, metrics: RelayMetrics, logger: Logger) {
        self.settings = settings
        self.health = health
        self.metrics = metrics
        self.logger = logger
    }

    /// Calls `listener` with the server's name after each change of its breaker's state, outside
    /// the breakers' lock: the relay's scheduler stops starting that server's records while it
    /// is open (``BlockedServers``). Changes may be told out of order: ask ``isOpen(_:)``.
    func onChange(_ listener: @escaping @Sendable (String) -> Void) {
        self.listeners.withLock { $0.append(listener) }
    }

    /// Whether `server`'s breaker is open.
    func isOpen(_ server: String) -> Bool {
        self.state.withLock { $0.breakers[server]?.isOpen ?? false }
    }

    /// Takes the answer of a request to `server` for `account`'s event.
    func observe(_ answer: DeliveryAnswer, server: String, account: String, now: ContinuousClock.Instant = .now) {
        let signal = Self.signal(answer, account: account, now: now)
        self.apply(server) { $0.observe(signal, now: now) }
    }

    /// Returns once a request to `server` may be sent: at once while its breaker is closed;
    /// otherwise after giving the window slot back and waiting (probing when elected) until it
    /// closes, then taking a slot again.
    ///
    /// - Parameters:
    ///   - server: The server.
    ///   - slot: The request's window slot.
    ///   - probe: Sends the server's probe and returns the answer.
    /// - Throws: `CancellationError` when cancelled while held (the slot is then not held).
    func pass(
        _ server: String,
        slot: DeliverySlot,
        probe: @Sendable () async throws -> DeliveryAnswer
    ) async throws {
        var left = false
        while true {
            let now = ContinuousClock.now
            let (passage, version) = self.apply(server) { breaker in breaker.passage(now: now) }
            switch passage {
            case .go:
                if left { try await slot.enter() }
                return
            case .probe:
                if !left {
                    slot.leave()
                    left = true
                }
                let answer: DeliveryAnswer
                do {
                    answer = try await probe()
                } catch {
                    self.apply(server) { breaker -> ((), CircuitBreaker.Transition?) in
                        breaker.probeAbandoned()
                        return ((), nil)
                    }
                    throw error
                }
                let ok = Self.provesTheServerWorks(answer)
                // A probe's systemic answer may tell a new story (a rotated secret now refused);
                // an unavailable one says what the opening said.
                var reason: String?
                if case .systemic = answer.classification { reason = Self.describe(answer) }
                self.apply(server) { $0.probed(ok: ok, reason: reason, now: .now) }
                self.metrics.breakerProbe(server: server, ok: ok)
            case .wait(let until):
                if !left {
                    slot.leave()
                    left = true
                }
                try await self.waitForChange(server, until: until, seen: version)
            }
        }
    }

    /// Runs a breaker transition under the lock, then reports it, and wakes the held requests
    /// when the breaker's state changed.
    ///
    /// - Returns: The transition's result and the breaker's version after it.
    @discardableResult
    private func apply<Result>(
        _ server: String,
        _ body: (inout CircuitBreaker) -> (Result, CircuitBreaker.Transition?)
    ) -> (Result, UInt64) {
        let (result, transition, open, changed, version) = self.state.withLock { state in
            var breaker = state.breakers[server] ?? CircuitBreaker(settings: self.settings)
            let before = breaker.state
            let (result, transition) = body(&breaker)
            state.breakers[server] = breaker
            let changed = breaker.state != before
            if changed { state.versions[server, default: 0] &+= 1 }
            // Only a transition is reported: filtering the breakers on every delivery was a third
            // of their cost when the relay was profiled.
            let open =
                transition == nil
                ? [] : state.breakers.filter(\.value.isOpen).map { ($0.key, Self.reason(of: $0.value)) }
            return (result, transition, open, changed, state.versions[server] ?? 0)
        }
        if let transition { self.report(transition, server: server, open: open) }
        if changed {
            self.wakeAll(server)
            for listener in self.listeners.withLock({ $0 }) { listener(server) }
        }
        return (result, version)
    }

    /// `apply` for transitions that return only a transition.
    private func apply(_ server: String, _ body: (inout CircuitBreaker) -> CircuitBreaker.Transition?) {
        self.apply(server) { breaker -> ((), CircuitBreaker.Transition?) in ((), body(&breaker)) }
    }

    private func report(_ transition: CircuitBreaker.Transition, server: String, open: [(String, String)]) {
        // Readiness names every open server; the metric says whether any is.
        let description = open.sorted { $0.0 < $1.0 }.map { "MMOLove server \($0.0): \($0.1)" }.joined(separator: "; ")
        self.health.systemicFailure(description.isEmpty ? nil : description)
        self.metrics.systemicFailure(!open.isEmpty)
        switch transition {
        case .opened(let reason):
            self.metrics.breakerOpened(server: server)
            self.logger.warning(
                "MMOLove server failing; holding its events and probing it until it works",
                metadata: [DeliveryLogMetadata.serverID: "\(server)", DeliveryLogMetadata.error: "\(reason)"])
        case .closed(let after, let probes):
            self.logger.warning(
                "MMOLove server works again; its held events are sent",
                metadata: [
                    DeliveryLogMetadata.serverID: "\(server)", "held_seconds": "\(after.components.seconds)",
                    "probes": "\(probes)",
                ])
        }
    }

    /// Waits until `server`'s breaker changes from version `seen`, or `until` passes, or the task
    /// is cancelled; returns at once when it changed already.
    private func waitForChange(_ server: String, until: ContinuousClock.Instant?, seen: UInt64) async throws {
        let id = self.state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                        enum Registration { case waiting, changed, cancelled }
                        let registration = self.state.withLock { state -> Registration in
                            if Task.isCancelled { return .cancelled }
                            // Changed since the caller looked: its wake-up has gone out already.
                            if (state.versions[server] ?? 0) != seen { return .changed }
                            state.waiters[server, default: [:]][id] = continuation
                            return .waiting
                        }
                        switch registration {
                        case .waiting: break
                        case .changed: continuation.resume()
                        case .cancelled: continuation.resume(throwing: CancellationError())
                        }
                    }
                } onCancel: {
                    let continuation = self.state.withLock { $0.waiters[server]?.removeValue(forKey: id) }
                    continuation?.resume(throwing: CancellationError())
                }
            }
            if let until {
                group.addTask { try await Task.sleep(until: until) }
            }
            // Whichever comes first (a change, the probe time); the other is cancelled.
            try await group.next()
            group.cancelAll()
        }
    }

    private func wakeAll(_ server: String) {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            defer { state.waiters[server] = nil }
            return Array(state.waiters[server]?.values ?? [:].values)
        }
        for waiter in waiters { waiter.resume() }
    }

    private static func reason(of breaker: CircuitBreaker) -> String {
        if case .open(let open) = breaker.state { return open.reason }
        return ""
    }

    /// What an answer says about its server.
    static func signal(_ answer: DeliveryAnswer, account: String, now: ContinuousClock.Instant) -> CircuitBreaker.Signal
    {
        switch answer.classification {
        case .advanced, .accepted, .duplicate, .firstTouchConflict, .test, .invalidTransition:
            return .healthy
        case .rejected(let status, let error):
            return .rejected(status: status, error: error, account: account)
        case .systemic(let status, let error):
            return .systemic(reason: "HTTP \(status)\(error.map { " \($0)" } ?? "")")
        case .retryable(let status, let retryAfter):
            let reason = Self.describe(answer)
            if let retryAfter {
                let wallNow = Int64(Date.now.timeIntervalSince1970.rounded(.down))
                let seconds = max(0, retryAfter.delay(now: wallNow))
                if seconds > 0 {
                    return .retryAfter(
                        until: now + .seconds(seconds), reason: "HTTP \(status) Retry-After \(seconds) s")
                }
            }
            return .unavailable(reason: reason)
        }
    }

    /// A probe proves the server works when MMOLove verified its signature: a test answer, or
    /// any answer that judges the event itself (it got past verification).
    static func provesTheServerWorks(_ answer: DeliveryAnswer) -> Bool {
        switch answer.classification {
        case .advanced, .accepted, .duplicate, .firstTouchConflict, .test, .invalidTransition, .rejected: true
        case .systemic, .retryable: false
        }
    }

    static func describe(_ answer: DeliveryAnswer) -> String {
        switch answer {
        case .response(let result):
            if case .systemic(let status, let error) = result.response {
                return "HTTP \(status)\(error.map { " \($0)" } ?? "")"
            }
            return "HTTP \(result.status)"
        case .transportFailure(let error): return error.reason
        }
    }
}
