import DequeModule
import Logging
import ReferralKit
import Synchronization

/// The adaptive concurrency limits of every MMOLove server (``ConcurrencyLimit``), shared by all
/// deliveries: a request to a server waits for one of its permits, and the answer it gets moves
/// that server's limit (`RELAY_ADAPTIVE_CONCURRENCY`).
///
/// Each server has its own limit and its own queue, so a server at its limit holds back only its
/// own requests. Waiters are served first come, first served (a newcomer never overtakes one),
/// wait on a continuation (no thread, no lock held), and a cancelled waiter leaves the queue and
/// throws. ``withPermit(_:_:)`` gives the permit back exactly once, whatever the request's end.
///
/// A request waiting for a permit keeps its window slot: it is in flight for the relay, as a slow
/// request would be. Giving the slot back (as a request held by an open circuit breaker does, whose
/// server makes no progress at all) would let the window fill up with thousands of waiting
/// requests, while an overloaded server still moves at its limit.
final class ConcurrencyLimits: Sendable {
    /// A request waiting for a permit.
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<ConcurrencyLimit.Permit, any Error>
    }

    /// One server's limit and the requests waiting for it.
    private struct Server {
        var limit: ConcurrencyLimit
        var waiters = Deque<Waiter>()

        /// Gives `permit` back and takes the permits now free for the first waiters.
        ///
        /// - Returns: The waiters to resume with their permits, and how the limit changed.
        mutating func release(
            _ permit: ConcurrencyLimit.Permit, _ sample: ConcurrencyLimit.Sample
        ) -> (
            [(CheckedContinuation<ConcurrencyLimit.Permit, any Error>, ConcurrencyLimit.Permit)],
            ConcurrencyLimit.Change?
        ) {
            let change = self.limit.release(permit, sample)
            // A raised limit may free two permits at once; a lowered one none until enough end.
            var handOver: [(CheckedContinuation<ConcurrencyLimit.Permit, any Error>, ConcurrencyLimit.Permit)] = []
            while !self.waiters.isEmpty, let next = self.limit.acquire() {
                handOver.append((self.waiters.removeFirst().continuation, next))
            }
            return (handOver, change)
        }
    }

    /// Every server's limit and queue, behind one lock (each transition is a few operations).
    private struct State {
        var servers: [String: Server] = [:]
        var nextWaiter: UInt64 = 0

        /// Runs `body` on `server`'s entry in place, creating it first when it is new.
        ///
        /// In place, not copied out and stored back: a copy shares the waiters' storage with
        /// the dictionary's, so each append or removal then copied the whole queue (and
        /// retained every continuation in it): with `RELAY_MAX_IN_FLIGHT=1024` and the limit
        /// still growing from 32, 3.6-4.3 s of CPU for 40,000 events against 2.6-3.6 s in place.
        mutating func withServer<Result>(
            _ server: String, _ settings: ConcurrencyLimit.Settings, _ body: (inout Server) -> Result
        ) -> (Result, new: Bool) {
            let new = self.servers[server] == nil
            let result = body(&self.servers[server, default: Server(limit: ConcurrencyLimit(settings: settings))])
            return (result, new)
        }
    }

    /// What a request asking for a permit does.
    private enum Acquisition {
        case permit(ConcurrencyLimit.Permit)
        case wait
        case cancelled
    }

    private let state = Mutex(State())
    private let settings: ConcurrencyLimit.Settings
    private let metrics: RelayMetrics
    private let logger: Logger

    /// Creates the limits, one per server as it is first used, and reports the limit of each
    /// configured server at once (so the gauge is there before the first request).
    ///
    /// - Parameters:
    ///   - settings: Every server's bounds and decrease.
    ///   - servers: The configured server ids.
    ///   - metrics: Where each limit and its decreases are reported.
    ///   - logger: Where decreases are logged (debug).
    init(settings: ConcurrencyLimit.Settings, servers: [String], metrics: RelayMetrics, logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.state.withLock { state in
            for server in servers { state.servers[server] = Server(limit: ConcurrencyLimit(settings: settings)) }
        }
        for server in servers { metrics.concurrencyLimit(server: server, limit: settings.initial) }
    }

    /// Runs `body` (one request to `server`) holding one of the server's permits, then gives the
    /// permit back with what the answer says about the server's load.
    ///
    /// - Parameters:
    ///   - server: The MMOLove server.
    ///   - body: Sends the request; returns its answer, or `nil` when it sent nothing.
    /// - Returns: What `body` returned.
    /// - Throws: `CancellationError` when cancelled while waiting (no permit is then held), or
    ///   what `body` throws (the permit is given back without a sample).
    func withPermit(
        _ server: String,
        _ body: () async throws -> DeliveryAnswer?
    ) async throws -> DeliveryAnswer? {
        let permit = try await self.acquire(server)
        let answer: DeliveryAnswer?
        do {
            answer = try await body()
        } catch {
            self.release(server, permit, .ignored)
            throw error
        }
        self.release(server, permit, answer.map(Self.sample) ?? .ignored)
        return answer
    }

    /// What an answer says about its server's load.
    static func sample(_ answer: DeliveryAnswer) -> ConcurrencyLimit.Sample {
        switch answer.classification {
        case .retryable:
            // 429, 408, 5xx, and no answer at all: refused, reset or timed out. An overloaded
            // server, or the balancer in front of it, sheds load in each of these ways.
            .overload
        case .systemic:
            // A wrong secret or a proxy's page says nothing about load: the breaker's business.
            .ignored
        case .advanced, .accepted, .duplicate, .firstTouchConflict, .test, .rejected, .invalidTransition:
            .success
        }
    }

    /// The current limit of `server`, if it has been used or is configured.
    func limit(of server: String) -> Int? {
        self.state.withLock { $0.servers[server]?.limit.limit }
    }

    /// Requests of `server` in flight (holding a permit) now.
    func inFlight(to server: String) -> Int {
        self.state.withLock { $0.servers[server]?.limit.inFlight ?? 0 }
    }

    /// Requests of `server` waiting for a permit now.
    func waiting(for server: String) -> Int {
        self.state.withLock { $0.servers[server]?.waiters.count ?? 0 }
    }

    /// Waits for a permit of `server`, first come, first served.
    ///
    /// - Throws: `CancellationError` when cancelled first; no permit is then held.
    private func acquire(_ server: String) async throws -> ConcurrencyLimit.Permit {
        try Task.checkCancellation()
        // A free permit with nobody waiting (nearly always) is taken without suspending: no
        // continuation and no cancellation handler to allocate and register per request.
        let taken = self.state.withLock { state -> (permit: ConcurrencyLimit.Permit?, new: Bool, id: UInt64) in
            let (permit, new) = state.withServer(server, self.settings) { entry in
                entry.waiters.isEmpty ? entry.limit.acquire() : nil
            }
            if let permit { return (permit, new, 0) }
            state.nextWaiter &+= 1
            return (nil, false, state.nextWaiter)
        }
        if let permit = taken.permit {
            if taken.new { self.metrics.concurrencyLimit(server: server, limit: self.settings.initial) }
            return permit
        }
        let id = taken.id
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<ConcurrencyLimit.Permit, any Error>) in
                // The server is known by now: its first request took the fast path above, which
                // always finds a permit for a new server (the initial limit is at least 1), and
                // entries are never removed. So no gauge is reported here.
                let acquisition = self.state.withLock { state -> Acquisition in
                    state.withServer(server, self.settings) { entry -> Acquisition in
                        // Only with nobody waiting: a newcomer must not overtake the queue.
                        if entry.waiters.isEmpty, let permit = entry.limit.acquire() { return .permit(permit) }
                        // Checked under the lock: a cancellation handler that ran before this
                        // point found no waiter to remove, so the waiter must not be queued at all.
                        if Task.isCancelled { return .cancelled }
                        entry.waiters.append(Waiter(id: id, continuation: continuation))
                        return .wait
                    }.0
                }
                switch acquisition {
                case .permit(let permit):
                    continuation.resume(returning: permit)
                case .wait: break
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let continuation = self.state.withLock {
                state -> CheckedContinuation<ConcurrencyLimit.Permit, any Error>? in
                guard let index = state.servers[server]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.servers[server]?.waiters.remove(at: index).continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Gives a permit back, hands the permits now free to the first waiters, and reports a change
    /// of the limit (after the lock is released).
    private func release(_ server: String, _ permit: ConcurrencyLimit.Permit, _ sample: ConcurrencyLimit.Sample) {
        let (handOver, change) = self.state.withLock {
            state -> (
                [(CheckedContinuation<ConcurrencyLimit.Permit, any Error>, ConcurrencyLimit.Permit)],
                ConcurrencyLimit.Change?
            )
            in
            // In place, as in ``State/withServer(_:_:_:)``.
            state.servers[server]?.release(permit, sample) ?? ([], nil)
        }
        for (continuation, permit) in handOver { continuation.resume(returning: permit) }
        switch change {
        case .increased(let limit):
            self.metrics.concurrencyLimit(server: server, limit: limit)
        case .decreased(let limit):
            self.metrics.concurrencyLimit(server: server, limit: limit)
            self.metrics.concurrencyLimitDecreased(server: server)
            self.logger.debug(
                "MMOLove server overloaded; fewer requests in flight to it",
                metadata: [DeliveryLogMetadata.serverID: "\(server)", DeliveryLogMetadata.concurrencyLimit: "\(limit)"])
        case nil:
            break
        }
    }
}
