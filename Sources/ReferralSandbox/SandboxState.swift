import ReferralKit

/// The sandbox's whole mutable state as a value-type state machine: servers and tokens, the
/// referrals and their first-touch anchors, idempotency keys, faults, the log and the counters.
///
/// Every transition is a `mutating` method that returns what to answer; the owner
/// (``SandboxStore``) keeps it inside a lock and performs effects (sleeping, writing, closing)
/// after releasing it.
public struct SandboxState: Sendable {
    /// One referral, keyed by its token.
    struct Referral: Sendable, Hashable {
        var id: String
        var serverID: String
        var refereeIdentity: String
        var state: ReferralResponse.State
    }

    /// The first-touch anchor: one referee on one server.
    struct AnchorKey: Sendable, Hashable {
        var serverID: String
        var refereeIdentity: String
    }

    /// The contract's idempotency key.
    struct IdempotencyKey: Sendable, Hashable {
        var token: String
        var event: ReferralEvent.Kind
        var serverEventID: String
    }

    let configuration: SandboxConfiguration
    /// The known servers; their secrets change with ``setSecrets(_:forServer:)`` (a rotation).
    private(set) var servers: [String: SandboxConfiguration.Server]
    public internal(set) var faults: SandboxFaults
    var remainingDrops: Int
    var remainingThrottles: Int
    var remainingFailures: Int
    /// Requests to the events endpoint arrived and not yet answered (``SandboxFaults/maxConcurrent``).
    public private(set) var inFlight = 0
    var random: SplitMix64
    var referrals: [String: Referral] = [:]
    var anchors: [AnchorKey: String] = [:]
    var seen: Set<IdempotencyKey> = []
    var nextReferralNumber = 1
    /// The delivery log as a ring of at most `logCapacity` entries; `logStart` is the oldest.
    /// Dropping the oldest must not shift the whole log inside the lock on every request once it
    /// is full (a 100k-event run would move the log 90k times).
    var logRing: [SandboxLogEntry] = []
    var logStart = 0
    var nextSequence = 1
    public internal(set) var stats = SandboxStats()

    /// Creates the initial state from a validated configuration.
    ///
    /// - Parameter configuration: The sandbox configuration.
    public init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        self.servers = Dictionary(configuration.servers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.faults = configuration.faults
        self.remainingDrops = configuration.faults.dropFirst
        self.remainingThrottles = configuration.faults.throttleFirst
        self.remainingFailures = configuration.faults.failFirst
        self.random = SplitMix64(seed: configuration.seed)
    }

    /// Replaces a server's secrets, as MMOLove does when a key is rotated: from now on only these
    /// verify its signatures.
    ///
    /// - Parameters:
    ///   - secrets: The server's new secrets (several with distinct key ids during an overlap).
    ///   - serverID: A known server.
    /// - Returns: Whether the server is known.
    @discardableResult
    public mutating func setSecrets(_ secrets: [ReferralSecret], forServer serverID: String) -> Bool {
        guard self.servers[serverID] != nil else { return false }
        self.servers[serverID]?.secrets = secrets
        return true
    }

    /// Replaces the faults and restarts the "first N" counters.
    ///
    /// - Parameter faults: The new, validated fault setting.
    public mutating func setFaults(_ faults: SandboxFaults) {
        self.faults = faults
        self.remainingDrops = faults.dropFirst
        self.remainingThrottles = faults.throttleFirst
        self.remainingFailures = faults.failFirst
    }

    /// Counts a request to the events endpoint in flight and decides whether it is faulted
    /// (``nextFault(serverID:)``); ``depart()`` must follow once it is answered.
    ///
    /// - Parameter serverID: The request's `server_id`, when its body names one.
    /// - Returns: The injected reply, or `nil` to process the request normally.
    public mutating func arrive(serverID: String? = nil) -> SandboxReply? {
        self.inFlight += 1
        return self.nextFault(serverID: serverID)
    }

    /// A request counted by ``arrive(serverID:)`` was answered.
    public mutating func depart() {
        // Never below zero: a reset while requests were in flight started the count again.
        self.inFlight = max(0, self.inFlight - 1)
    }

    /// Decides whether this request is faulted, consuming counters and the generator.
    ///
    /// - Returns: The injected reply, or `nil` to process the request normally.
    /// - Parameter serverID: The request's `server_id`, when its body names one.
    public mutating func nextFault(serverID: String? = nil) -> SandboxReply? {
        if let servers = self.faults.servers, !servers.contains(serverID ?? "") { return nil }
        let drop = SandboxReply(status: 0, body: "", verdict: .faultDrop, dropsConnection: true)
        let throttle = SandboxReply(
            status: self.faults.throttleStatus,
            body: "{\"error\":\"rate limited\"}",
            verdict: .faultThrottle,
            retryAfter: self.faults.retryAfter
        )
        var failure = SandboxReply.error(self.faults.failStatus, "injected failure", .faultFailure)
        if let body = self.faults.failBody {
            failure.body = body
            if body.hasPrefix("<") { failure.contentType = "text/html" }
        }
        // Shed before anything else, consuming no counter: the server is full, whatever else ails it.
        if let maxConcurrent = self.faults.maxConcurrent, self.inFlight > maxConcurrent {
            return SandboxReply(
                status: self.faults.throttleStatus,
                body: "{\"error\":\"overloaded\"}",
                verdict: .faultOverload,
                retryAfter: self.faults.retryAfter
            )
        }
        if self.remainingDrops > 0 {
            self.remainingDrops -= 1
            return drop
        }
        if self.remainingThrottles > 0 {
            self.remainingThrottles -= 1
            return throttle
        }
        if self.remainingFailures > 0 {
            self.remainingFailures -= 1
            return failure
        }
        if self.roll(self.faults.dropRate) { return drop }
        if self.roll(self.faults.throttleRate) { return throttle }
        if self.roll(self.faults.failRate) { return failure }
        return nil
    }

    private mutating func roll(_ rate: Double) -> Bool {
        guard rate > 0 else { return false }
        return Double.random(in: 0..<1, using: &self.random) < rate
    }

    /// Appends a log entry (dropping the oldest beyond capacity) and counts the answer.
    ///
    /// - Parameters:
    ///   - request: The request as received.
    ///   - reply: The answer given.
    ///   - event: The event name, when the body named a known one.
    ///   - time: Arrival time, unix seconds.
    public mutating func record(_ request: SandboxRequest, reply: SandboxReply, event: String?, time: Double) {
        let entry = SandboxLogEntry(
            sequence: self.nextSequence,
            time: time,
            method: request.method,
            path: request.path,
            headers: request.headers.map { [$0.name, $0.value] },
            body: String(decoding: request.body, as: UTF8.self),
            status: reply.status,
            verdict: reply.verdict,
            response: reply.body
        )
        self.nextSequence += 1
        if self.configuration.logCapacity <= 0 {
            // An unvalidated configuration keeps no log; the counters still count.
        } else if self.logRing.count < self.configuration.logCapacity {
            self.logRing.append(entry)
        } else {
            self.logRing[self.logStart] = entry
            self.logStart = (self.logStart + 1) % self.logRing.count
        }
        self.stats.count(reply, event: event)
    }

    /// The delivery log, oldest first: the last `logCapacity` requests (default 10 000).
    public var log: [SandboxLogEntry] {
        Array(self.logRing[self.logStart...] + self.logRing[..<self.logStart])
    }
}
