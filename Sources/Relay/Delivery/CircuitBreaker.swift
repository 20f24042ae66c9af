/// One MMOLove server's circuit breaker as a value: which answers open it, when a probe is due,
/// what closes it. No I/O and no clock reads (times are passed in), so every rule is tested
/// with plain values (`CircuitBreakerTests`); ``CircuitBreakers`` keeps one per server.
///
/// The rules:
/// - **Systemic answers open it at once**: 401, the 404s that name the server, referrals or
///   secret, a 2xx without `"ok":true`, a 4xx that is not MMOLove's (no JSON body), a malformed
///   signature header. They say the configuration (or something in front of MMOLove) is wrong
///   for every event, so sending more only turns events into failures.
/// - **The same 4xx for ``Settings/sameAnswerAccounts`` different accounts in a row opens it**:
///   one account's 400 is that event's problem; the same answer for many accounts is systemic.
/// - **Sustained unavailability opens it** (5xx, transport failures, timeouts):
///   ``Settings/unavailableStreak`` such answers in a row over at least
///   ``Settings/unavailableFor``, so an outage costs probes, not a retry storm.
/// - **`Retry-After` applies to the whole server**: nothing is sent to it before then (no probe
///   needed: the server said when).
/// - **While open** nothing is sent but one probe at a time (a signed `test:true` event), first
///   after ``Settings/firstProbe``, then doubling to ``Settings/maxProbe``. A probe MMOLove
///   verifies (or judges the event, as with an unknown token) closes it; so does any answer of
///   that kind to a request that was already in flight.
struct CircuitBreaker: Sendable, Hashable {
    /// The thresholds.
    struct Settings: Sendable, Hashable {
        /// Different accounts answered the same 4xx in a row before it opens.
        var sameAnswerAccounts = 5
        /// Unavailable answers in a row before it opens...
        var unavailableStreak = 20
        /// ...spanning at least this long (zero by default: twenty failures in a row already cost
        /// twenty requests, and a blip then costs one probe interval).
        var unavailableFor: Duration = .zero
        /// The first probe's delay after opening.
        var firstProbe: Duration = .seconds(1)
        /// The longest delay between probes.
        var maxProbe: Duration = .seconds(30)
    }

    /// What an answer says about the server.
    enum Signal: Sendable, Hashable {
        /// The server works: accepted, duplicate, conflict, test, 422.
        case healthy
        /// A per-event 4xx rejection of `account`'s event.
        case rejected(status: Int, error: String?, account: String)
        /// The configuration or a proxy is wrong for every event.
        case systemic(reason: String)
        /// 5xx, 408/429 without Retry-After, transport failure, timeout.
        case unavailable(reason: String)
        /// The server asked for nothing to be sent before `until`.
        case retryAfter(until: ContinuousClock.Instant, reason: String)
    }

    /// Where the breaker is.
    enum State: Sendable, Hashable {
        /// Requests go.
        case closed
        /// Nothing goes but probes (or nothing at all until `nextProbe` when `needsProbe` is false).
        case open(Open)
    }

    /// An open breaker.
    struct Open: Sendable, Hashable {
        var reason: String
        var since: ContinuousClock.Instant
        /// When the next probe (or, without `needsProbe`, the close) is due.
        var nextProbe: ContinuousClock.Instant
        /// The delay that led to `nextProbe` (doubled after a failed probe).
        var delay: Duration
        /// A probe is in flight.
        var probing = false
        /// Whether closing needs a probe (`false` after Retry-After: the server said when).
        var needsProbe = true
        /// Probes sent while open.
        var probes = 0
    }

    /// A change the owner reports (log, readiness, metrics).
    enum Transition: Sendable, Hashable {
        /// It opened (or its reason changed while open).
        case opened(reason: String)
        /// It closed after being open for `after`.
        case closed(after: Duration, probes: Int)
    }

    /// What a request may do now.
    enum Passage: Sendable, Hashable {
        /// Send.
        case go
        /// Send the probe, then report it with ``probed(ok:reason:now:)``.
        case probe
        /// Wait until `until` (the next probe is due) or until the breaker changes.
        case wait(until: ContinuousClock.Instant?)
    }

    let settings: Settings
    private(set) var state: State = .closed
    /// The 4xx answered to the last accounts in a row, and which accounts.
    private var sameAnswer: (status: Int, error: String?)?
    private var sameAnswerAccounts: Set<String> = []
    /// Unavailable answers in a row, and when the first came.
    private var unavailableCount = 0
    private var unavailableSince: ContinuousClock.Instant?

    /// Creates a closed breaker.
    init(settings: Settings = Settings()) {
        self.settings = settings
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.state == rhs.state }
    func hash(into hasher: inout Hasher) { hasher.combine(self.state) }

    /// Whether requests are held.
    var isOpen: Bool {
        if case .open = self.state { return true }
        return false
    }

    /// Takes an answer (of a request or of a probe's bystanders).
    mutating func observe(_ signal: Signal, now: ContinuousClock.Instant) -> Transition? {
        switch signal {
        case .healthy:
            self.resetStreaks()
            return self.close(now: now)
        case .rejected(let status, let error, let account):
            // While open, answers to requests sent before it opened change nothing.
            guard !self.isOpen else { return nil }
            self.unavailableCount = 0
            self.unavailableSince = nil
            if let same = self.sameAnswer, same.status == status, same.error == error {
                self.sameAnswerAccounts.insert(account)
            } else {
                self.sameAnswer = (status, error)
                self.sameAnswerAccounts = [account]
            }
            guard self.sameAnswerAccounts.count >= self.settings.sameAnswerAccounts else { return nil }
            let reason =
                "HTTP \(status)\(error.map { " \($0)" } ?? "") for \(self.sameAnswerAccounts.count) different accounts in a row"
            return self.open(reason: reason, now: now)
        case .systemic(let reason):
            self.resetStreaks()
            return self.open(reason: reason, now: now)
        case .unavailable(let reason):
            guard !self.isOpen else { return nil }
            self.sameAnswer = nil
            self.sameAnswerAccounts = []
            self.unavailableCount += 1
            let since = self.unavailableSince ?? now
            self.unavailableSince = since
            guard self.unavailableCount >= self.settings.unavailableStreak,
                since.duration(to: now) >= self.settings.unavailableFor
            else { return nil }
            return self.open(reason: "unavailable: \(reason), \(self.unavailableCount) failures in a row", now: now)
        case .retryAfter(let until, let reason):
            guard until > now else { return nil }
            switch self.state {
            case .closed:
                self.state = .open(
                    Open(
                        reason: reason, since: now, nextProbe: until, delay: now.duration(to: until), needsProbe: false)
                )
                return .opened(reason: reason)
            case .open(var open):
                // Never earlier than a probe already due later.
                open.nextProbe = max(open.nextProbe, until)
                self.state = .open(open)
                return nil
            }
        }
    }

    /// What a request may do at `now`: go, probe (it is elected to), or wait.
    mutating func passage(now: ContinuousClock.Instant) -> (Passage, Transition?) {
        guard case .open(var open) = self.state else { return (.go, nil) }
        if open.probing { return (.wait(until: nil), nil) }
        guard now >= open.nextProbe else { return (.wait(until: open.nextProbe), nil) }
        guard open.needsProbe else { return (.go, self.close(now: now)) }
        open.probing = true
        open.probes += 1
        self.state = .open(open)
        return (.probe, nil)
    }

    /// The elected probe came back: `ok` when MMOLove verified it (or judged its event).
    mutating func probed(ok: Bool, reason: String?, now: ContinuousClock.Instant) -> Transition? {
        guard case .open(var open) = self.state else { return nil }
        if ok {
            self.resetStreaks()
            return self.close(now: now)
        }
        open.probing = false
        open.delay = min(self.settings.maxProbe, open.delay * 2)
        open.nextProbe = now + open.delay
        var transition: Transition?
        if let reason, reason != open.reason {
            open.reason = reason
            transition = .opened(reason: reason)
        }
        self.state = .open(open)
        return transition
    }

    /// The elected probe ended without an answer (its task was cancelled): another request
    /// takes over at once.
    mutating func probeAbandoned() {
        guard case .open(var open) = self.state, open.probing else { return }
        open.probing = false
        open.probes -= 1
        self.state = .open(open)
    }

    private mutating func open(reason: String, now: ContinuousClock.Instant) -> Transition? {
        switch self.state {
        case .closed:
            self.state = .open(
                Open(
                    reason: reason, since: now, nextProbe: now + self.settings.firstProbe,
                    delay: self.settings.firstProbe))
            return .opened(reason: reason)
        case .open(var open):
            // Already open: a late answer of a request sent before it opened changes nothing
            // but the reason, and a Retry-After hold now needs a probe to end.
            let changed = open.reason != reason || !open.needsProbe
            open.reason = reason
            open.needsProbe = true
            self.state = .open(open)
            return changed ? .opened(reason: reason) : nil
        }
    }

    private mutating func close(now: ContinuousClock.Instant) -> Transition? {
        guard case .open(let open) = self.state else { return nil }
        self.state = .closed
        return .closed(after: open.since.duration(to: now), probes: open.probes)
    }

    private mutating func resetStreaks() {
        self.sameAnswer = nil
        self.sameAnswerAccounts = []
        self.unavailableCount = 0
        self.unavailableSince = nil
    }
}
