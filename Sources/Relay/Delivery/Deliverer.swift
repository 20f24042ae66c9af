import Foundation
import Logging
import ReferralKit
import Synchronization

/// Delivers referral events to MMOLove: encodes each once, re-signs every attempt, retries with
/// full-jitter backoff (honouring Retry-After), holds on systemic failures, waits a bounded time
/// on 422 for `qualified`, and keeps one attempt at a time per account (a `registered` in flight
/// always goes before its account's `qualified`).
///
/// Outcomes per classification (see ``DeliveryAttempts`` for the counting rules):
/// - accepted answers settle as `advanced` (with `referral_id`/`state` when given), `duplicate`,
///   `first_touch_conflict` or `test`; per-event rejections (400, 404 token) as `rejected`;
/// - 422: `rejected` at once on `registered`; on `qualified` retried until
///   `qualifiedWait` has passed since the first 422, the account's lane released while it
///   sleeps so the account's `registered` can go first (which wakes it early);
/// - systemic answers, the same 4xx for many accounts, and sustained unavailability open the
///   server's circuit breaker (``CircuitBreakers``): its events are held outside the window
///   and the server is probed until it works; nothing is rejected or failed meanwhile;
/// - retryable answers are retried until `maxAttempts` (if set), then `failed`; only these
///   count toward the limit (systemic ones are held without limit, 422 is bounded by time).
///
/// Every request waits for the rate limit (`RELAY_RATE_LIMIT`), then for a permit of its server's
/// adaptive concurrency limit (``ConcurrencyLimits``, `RELAY_ADAPTIVE_CONCURRENCY`), which 429,
/// 5xx and timeouts lower and successes raise again; the breaker's probes bypass the limit.
///
/// Secrets can change while it runs (``useSecret(_:for:)``, from ``SecretFileWatcher``): every
/// attempt signs with the server's current secret, so an event being retried across a rotation
/// re-signs with the new one on its next attempt.
public final class Deliverer: Sendable {
    /// One client per configured server id, replaced when the server's secret rotates.
    private let clients: Mutex<[String: ReferralClient]>
    /// What a replacement client is built from.
    private let connectionPool: ReferralConnectionPool
    private let requestTimeout: Duration
    private let signingClock: ReferralClock
    /// Where each HTTP attempt's client span goes; `nil`: no tracing.
    private let tracer: RelayTracer
    private let delivery: RelayConfiguration.Delivery
    /// Whether every event is sent as a dry run (`mmolove.testEvents`).
    let testEvents: Bool
    let metrics: RelayMetrics
    private let logger: Logger
    /// One circuit breaker per server.
    let breakers: CircuitBreakers
    /// Spaces requests to MMOLove (`RELAY_RATE_LIMIT`, `backfill --rate`); `nil`: no limit.
    let rateLimiter: RateLimiter?
    /// Each server's adaptive concurrency limit; `nil` when `RELAY_ADAPTIVE_CONCURRENCY` is off.
    let concurrencyLimits: ConcurrencyLimits?
    private let random: Mutex<any RandomNumberGenerator & Sendable>
    /// The per-account lanes (one delivery at a time per account).
    let lanes = AccountLanes()

    /// Creates a deliverer.
    ///
    /// - Parameters:
    ///   - mmolove: Endpoint, credentials, timeouts.
    ///   - delivery: Retry and ordering settings.
    ///   - connectionPool: The shared keep-alive connections (their owner shuts them down).
    ///   - metrics: Where retries and HTTP latencies are counted.
    ///   - health: Where systemic failures are reported (readiness).
    ///   - logger: Where per-event logs go.
    ///   - signingClock: The source of each attempt's signing time `t` (the wall clock).
    ///   - random: The jitter source (seeded in tests).
    ///   - tracer: Where each attempt's HTTP client span goes (see ``RelayTracer``).
    public init(
        mmolove: RelayConfiguration.MMOLove,
        delivery: RelayConfiguration.Delivery,
        connectionPool: ReferralConnectionPool,
        metrics: RelayMetrics,
        health: RelayHealth,
        logger: Logger,
        signingClock: ReferralClock = .system,
        random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
        tracer: RelayTracer = .disabled
    ) {
        // One client per server, each knowing only its own secret, all sharing the pooled
        // connections (injected, so never shut down by them).
        var clients: [String: ReferralClient] = [:]
        for serverID in mmolove.credentials.serverIDs {
            guard let secret = mmolove.credentials[serverID] else { continue }
            clients[serverID] = ReferralClient(
                credentials: ReferralCredentials(serverID: serverID, secret: secret),
                connectionPool: connectionPool,
                timeout: mmolove.requestTimeout,
                clock: signingClock,
                logger: logger,
                tracer: tracer.tracer
            )
        }
        self.clients = Mutex(clients)
        self.connectionPool = connectionPool
        self.requestTimeout = mmolove.requestTimeout
        self.signingClock = signingClock
        self.tracer = tracer
        self.delivery = delivery
        self.testEvents = mmolove.testEvents
        self.metrics = metrics
        self.logger = logger
        self.breakers = CircuitBreakers(health: health, metrics: metrics, logger: logger)
        self.rateLimiter = delivery.rateLimit.map { RateLimiter(perSecond: $0) }
        self.concurrencyLimits = delivery.concurrencyLimit.map {
            ConcurrencyLimits(
                settings: $0, servers: mmolove.credentials.serverIDs.sorted(), metrics: metrics, logger: logger)
        }
        self.random = Mutex(random)
    }

    /// A uniformly random value in `0...1` for a retry's jitter.
    private func jitterFraction() -> Double {
        self.random.withLock { generator in Double.random(in: 0...1, using: &generator) }
    }

    /// The client that signs for `serverID` now, if the server is configured.
    func client(for serverID: String) -> ReferralClient? {
        self.clients.withLock { $0[serverID] }
    }

    /// Signs every later attempt for `serverID` with `secret` (a rotated secret or key id);
    /// attempts already sent finish with the secret they were signed with.
    ///
    /// - Parameters:
    ///   - secret: The server's new secret.
    ///   - serverID: A configured server; an unknown one is ignored.
    public func useSecret(_ secret: ReferralSecret, for serverID: String) {
        let client = ReferralClient(
            credentials: ReferralCredentials(serverID: serverID, secret: secret),
            connectionPool: self.connectionPool,
            timeout: self.requestTimeout,
            clock: self.signingClock,
            logger: self.logger,
            tracer: self.tracer.tracer
        )
        self.clients.withLock { clients in
            if clients[serverID] != nil { clients[serverID] = client }
        }
    }

    /// Delivers `request` until it is settled (any status of ``OutcomeStatus``).
    ///
    /// - Parameters:
    ///   - request: The event.
    ///   - slot: Its place in the in-flight window, given back while a `qualified` waits for
    ///     its `registered` (see ``DeliverySlot``).
    /// - Throws: `CancellationError` only, when the task is cancelled (shutdown deadline or a
    ///   revoked partition): the event is then not settled and will be redelivered.
    public func deliver(_ request: DeliveryRequest, slot: DeliverySlot = .none) async throws -> DeliveryResult {
        let prepared: ReferralClient
        let encoded: EncodedReferralEvent
        switch self.prepare(request) {
        case .success(let result): (prepared, encoded) = result
        case .failure(let rejection): return rejection.result
        }
        var attempts = DeliveryAttempts(kind: request.kind, delivery: self.delivery)
        // Per-event logs are debug logs: below that level the metadata would cost three
        // strings per event for nothing.
        var logger = self.logger
        if logger.logLevel <= .debug {
            logger[metadataKey: DeliveryLogMetadata.account] = "\(request.accountID)"
            logger[metadataKey: DeliveryLogMetadata.event] = "\(request.kind.rawValue)"
            logger[metadataKey: DeliveryLogMetadata.serverEventID] = "\(request.serverEventID)"
        }

        try await self.lanes.acquire(request.accountID, kind: request.kind, slot: slot)
        var holdsLane = true
        defer { if holdsLane { self.lanes.release(request.accountID) } }
        let server = request.serverID ?? ""
        while true {
            // Held (outside the window) while the server's breaker is open; maybe elected to
            // probe it meanwhile.
            try await self.breakers.pass(server, slot: slot) {
                // The current client: a probe after a rotation proves the new secret.
                let client = self.client(for: server) ?? prepared
                // Every request counts toward the rate, probes too. A probe bypasses the
                // concurrency limit: it is the breaker's one request at a time, and must not
                // queue behind requests that will only be held once they get a permit.
                try await self.rateLimiter?.acquire()
                return try await self.send(Self.probe(for: server), with: client, kind: .registered)
            }
            // The current client each time: a rotated secret signs the next attempt.
            let client = self.client(for: encoded.event.serverID) ?? prepared
            guard
                let answer = try await self.attempt(
                    encoded, with: client, kind: request.kind, server: server,
                    starting: { attempts.begin(at: Date()) })
            else {
                // The breaker opened while this request waited for a permit: nothing was sent,
                // it is held with the server's other events.
                continue
            }
            self.breakers.observe(answer, server: server, account: request.accountID)
            // Asked only on a 422: whether the awaited `registered` may still be read.
            let pending = answer.isInvalidTransition && slot.registeredMayStillArrive()
            switch attempts.decide(
                answer, now: .now, date: Date(), fraction: self.jitterFraction(), registeredMayStillArrive: pending)
            {
            case .settle(let result):
                logger.debug(
                    "referral event settled",
                    metadata: [
                        DeliveryLogMetadata.httpStatus: "\(answer.status)",
                        DeliveryLogMetadata.attempt: "\(attempts.attempts)",
                    ])
                return result
            case .retry(let reason, let delay, let releasingLane):
                try await self.waitToRetry(
                    request, answer: answer, attempt: attempts.attempts, reason: reason, delay: delay,
                    releasingLane: releasingLane, server: server, slot: slot, logger: logger, holdsLane: &holdsLane)
            }
        }
    }

    /// Waits before the next attempt of a delivery: paused off its lane and slot (a `qualified`
    /// waiting for its `registered`), or asleep (unless an open breaker times the next attempt).
    ///
    /// Not inlined into ``deliver(_:slot:)``: an async function's frame has room for every path
    /// it may take, and each delivery's frame (3.4 KB) then came from `malloc` for a path most
    /// deliveries never take.
    @inline(never)
    private func waitToRetry(
        _ request: DeliveryRequest, answer: DeliveryAnswer, attempt: Int, reason: RetryReason, delay: Duration,
        releasingLane: Bool, server: String, slot: DeliverySlot, logger: Logger, holdsLane: inout Bool
    ) async throws {
        self.metrics.retried(event: request.kind, reason: reason, server: request.serverID)
        logger.debug(
            "referral event attempt repeated",
            metadata: [
                DeliveryLogMetadata.httpStatus: "\(answer.status)",
                DeliveryLogMetadata.attempt: "\(attempt)",
                DeliveryLogMetadata.retryReason: "\(reason.rawValue)",
                DeliveryLogMetadata.delay: "\(delay)",
            ])
        if releasingLane {
            // A `qualified` waiting for its `registered` must block neither that very
            // `registered` (the lane) nor any other event (the window slot); it comes
            // back early once a `registered` of its account has gone through.
            holdsLane = false
            try await self.lanes.pause(
                request.accountID, kind: request.kind, for: delay, leaving: slot.leave, entering: slot.enter)
            holdsLane = true
        } else if !self.breakers.isOpen(server) {
            try await Task.sleep(for: delay)
        }
        // An open breaker times the next attempt itself (its probes), so an outage costs
        // probes, not a retry per held event.
    }
}
