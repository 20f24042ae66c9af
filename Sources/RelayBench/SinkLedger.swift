import Synchronization

/// The instant sink's whole state: how it answers, which tokens registered, and counters.
///
/// It never verifies a signature. It keeps the one rule of the contract that changes what a
/// relay does: a `qualified` before its token's `registered` is answered 422 (the relay waits
/// and retries it, as it must against MMOLove), so the relay rows exercise the ordering path.
final class SinkLedger: Sendable {
    /// How the sink answers.
    enum Mode: Sendable {
        /// Contract answers at once.
        case instant
        /// 503 to everything: MMOLove is down.
        case unavailable
    }

    /// What the sink answers a request.
    enum Answer: Sendable {
        /// 200 with the state reached.
        case advanced(state: String)
        /// 422: `qualified` before `registered`.
        case invalidTransition
        /// 503.
        case unavailable
        /// 400: a body the sink cannot read.
        case badRequest
    }

    /// Counters of answers, for the report.
    struct Counts: Sendable {
        /// 200 answers.
        var advanced = 0
        /// 422 answers.
        var invalidTransition = 0
        /// 503 answers.
        var unavailable = 0
        /// 400 answers.
        var badRequest = 0
    }

    private struct State {
        var mode = Mode.instant
        var registered = Set<String>()
        var counts = Counts()
    }

    private let state = Mutex(State())

    /// Switches how the sink answers.
    func setMode(_ mode: Mode) {
        self.state.withLock { $0.mode = mode }
    }

    /// The answers given so far.
    var counts: Counts { self.state.withLock { $0.counts } }

    /// Decides the answer to a body (a canonical referral event: `{"event":"…","token":"…",…}`).
    func answer(body: [UInt8]) -> Answer {
        let event = JSONFieldScanner.string("event", in: body)
        let token = JSONFieldScanner.string("token", in: body)
        return self.state.withLock { state in
            guard state.mode == .instant else {
                state.counts.unavailable += 1
                return .unavailable
            }
            guard let event, let token else {
                state.counts.badRequest += 1
                return .badRequest
            }
            if event == "qualified" && !state.registered.contains(token) {
                state.counts.invalidTransition += 1
                return .invalidTransition
            }
            if event == "registered" { state.registered.insert(token) }
            state.counts.advanced += 1
            return .advanced(state: event)
        }
    }
}
