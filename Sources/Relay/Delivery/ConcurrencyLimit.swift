/// One MMOLove server's adaptive concurrency limit as a value: additive increase, multiplicative
/// decrease (AIMD), the scheme of Netflix's concurrency-limits `AIMDLimit`. No I/O and no clock:
/// the owner (``ConcurrencyLimits``) takes a permit before each request and gives it back with
/// what the answer said about the server's load, so every rule is tested with plain values
/// (`ConcurrencyLimitTests`).
///
/// The rules:
/// - **At most ``limit`` requests in flight.** ``acquire()`` hands out a permit only below it.
/// - **An overload answer lowers the limit** to `limit × backoffRatio` (never below 1), at most
///   once per *generation*: a permit remembers how many decreases came before it was taken, and
///   an overload answered to a request older than the last decrease is ignored. The requests of
///   one burst were all sent at the old limit, so their failures are one signal, not many; counting
///   each would take a limit of 32 to 1 on a single burst of 32 failures.
/// - **A success raises it by one per `limit` successes** (+1/limit each, so by about one per round
///   trip while the server keeps up), but only when the limit was in use: the permit was taken with
///   at least half of the limit in flight. A limit nobody reaches says nothing about the server, and
///   growing it anyway would let a quiet hour drift it to the maximum, to be spent all at once on
///   the next backlog. With the half rule it never grows past twice what was really used.
/// - **Bounds**: `1...maximum` (`RELAY_MAX_IN_FLIGHT`: the window already bounds what is in flight).
///
/// What counts as overload is the owner's call (429, 408, 5xx, transport failures and timeouts);
/// answers that say nothing about load (a systemic 401, a cancelled request) are ``Sample/ignored``.
struct ConcurrencyLimit: Sendable, Hashable {
    /// The bounds and the decrease.
    struct Settings: Sendable, Hashable {
        /// The limit before any answer.
        var initial: Int
        /// The largest limit.
        var maximum: Int
        /// The factor an overload multiplies the limit by (0 < ratio < 1).
        var backoffRatio: Double

        /// The default of ``initial``: 32, or the maximum when it is lower.
        static let defaultInitial = 32
        /// The default of ``backoffRatio``: concurrency-limits' `AIMDLimit` default. A gentler cut
        /// than TCP's halving, for two reasons. 5xx also come from failures unrelated to load (a
        /// bug behind one endpoint, a bad node): with 3% of answers failing at random, a limit
        /// halved on each generation's failure averages about 7, one cut by a tenth about 14 (a
        /// simulation of one round trip per step). And against a server that sheds load above N
        /// requests, the limit swings between 0.9·N and N instead of N/2 and N, so MMOLove gets
        /// about N in flight, not three quarters of it.
        static let defaultBackoffRatio = 0.9

        /// Creates settings; `initial` is clamped into `1...maximum`.
        init(initial: Int = Self.defaultInitial, maximum: Int, backoffRatio: Double = Self.defaultBackoffRatio) {
            self.maximum = max(1, maximum)
            self.initial = min(max(1, initial), self.maximum)
            self.backoffRatio = min(max(backoffRatio, 0.01), 0.99)
        }
    }

    /// What an answer says about the server's load.
    enum Sample: Sendable, Hashable {
        /// The server handled the request (whatever it thought of the event).
        case success
        /// The server is overloaded: 429, 408, 5xx, no answer, a timeout.
        case overload
        /// Nothing about load: a systemic answer, a cancelled request, nothing sent.
        case ignored
    }

    /// A request's right to be in flight, given back with ``release(_:_:)``.
    struct Permit: Sendable, Hashable {
        /// The ``ConcurrencyLimit/generation`` it was taken in.
        var generation: UInt64
        /// Whether at least half of the limit was in flight when it was taken (itself included).
        var limitInUse: Bool
    }

    /// A change of the limit, for the owner to report.
    enum Change: Sendable, Hashable {
        /// Raised after `limit` successes.
        case increased(to: Int)
        /// Lowered after an overload.
        case decreased(to: Int)
    }

    let settings: Settings
    /// Requests allowed in flight now.
    private(set) var limit: Int
    /// Requests in flight now (permits out).
    private(set) var inFlight = 0
    /// Decreases so far: a permit's generation tells whether its request started before the last.
    private(set) var generation: UInt64 = 0
    /// Successes counted toward the next increase (one per `limit`). An integer count, so the
    /// limit grows after exactly `limit` of them with no floating-point drift.
    private var successes = 0

    /// Creates a limit at ``Settings/initial`` with nothing in flight.
    init(settings: Settings) {
        self.settings = settings
        self.limit = settings.initial
    }

    /// Whether a request may start now.
    var hasRoom: Bool { self.inFlight < self.limit }

    /// Takes a permit when fewer than ``limit`` requests are in flight.
    ///
    /// - Returns: The permit, or `nil` when the limit is reached (the caller waits).
    mutating func acquire() -> Permit? {
        guard self.hasRoom else { return nil }
        self.inFlight += 1
        return Permit(generation: self.generation, limitInUse: 2 * self.inFlight >= self.limit)
    }

    /// Gives a permit back with what its request's answer said.
    ///
    /// - Parameters:
    ///   - permit: A permit from ``acquire()``, given back once.
    ///   - sample: What the answer says about the server's load.
    /// - Returns: How the limit changed, if it did.
    mutating func release(_ permit: Permit, _ sample: Sample) -> Change? {
        self.inFlight = max(0, self.inFlight - 1)
        switch sample {
        case .ignored:
            return nil
        case .success:
            guard permit.limitInUse, self.limit < self.settings.maximum else { return nil }
            self.successes += 1
            guard self.successes >= self.limit else { return nil }
            self.successes = 0
            self.limit += 1
            return .increased(to: self.limit)
        case .overload:
            // Sent before the last decrease: part of the burst that caused it.
            guard permit.generation == self.generation else { return nil }
            self.generation &+= 1
            self.successes = 0
            let lowered = max(1, Int((Double(self.limit) * self.settings.backoffRatio).rounded(.down)))
            guard lowered != self.limit else { return nil }
            self.limit = lowered
            return .decreased(to: lowered)
        }
    }
}
