import Foundation
import ReferralKit

/// What one HTTP attempt produced: a response, or no response at all (status 0).
enum DeliveryAnswer: Sendable {
    /// MMOLove (or something in front of it) answered.
    case response(SendResult)
    /// No HTTP response: refused, reset, timeout, TLS.
    case transportFailure(ReferralError)

    /// The status as outcomes report it (0 for a transport failure).
    var status: Int {
        switch self {
        case .response(let result): result.status
        case .transportFailure: 0
        }
    }

    /// Whether MMOLove answered 422 (the transition is not allowed yet).
    var isInvalidTransition: Bool {
        if case .invalidTransition = self.classification { return true }
        return false
    }

    /// The classification (status 0 is retryable).
    var classification: ReferralResponse {
        switch self {
        case .response(let result): result.response
        case .transportFailure: .retryable(status: 0, retryAfter: nil)
        }
    }
}

/// The attempts of one delivery as a value-type state machine: each answer goes in, a decision
/// comes out (settle with a result, or repeat after a delay). No I/O, no clock reads: the
/// ``Deliverer`` passes the times in, so every rule is tested with plain values.
///
/// Which attempts count toward `maxAttempts`: only the retryable ones (transport, 5xx, 408, 429,
/// 503). A systemic answer says the configuration is wrong, not the event, so it must never turn
/// into `failed` (the event is held until the configuration is fixed); a 422 on `qualified` is
/// bounded by `qualifiedWait` instead. ``attempts`` still counts every HTTP attempt.
struct DeliveryAttempts: Sendable {
    /// What to do after an answer.
    enum Decision: Sendable, Equatable {
        /// The event is settled with this result.
        case settle(DeliveryResult)
        /// Send again after `delay`; with `releasingLane` the account is freed meanwhile (a
        /// `qualified` waiting for its `registered` must not block that very `registered`).
        case retry(reason: RetryReason, delay: Duration, releasingLane: Bool)
    }

    /// The event kind being delivered.
    let kind: ReferralEvent.Kind
    /// Backoff between repeats.
    let backoff: Backoff
    /// Retryable attempts allowed (`nil` = unlimited).
    let maxAttempts: Int?
    /// How long a `qualified` answered 422 keeps being retried.
    let qualifiedWait: Duration

    /// HTTP attempts made.
    private(set) var attempts = 0
    /// When the first attempt started.
    private(set) var firstAttemptAt: Date?
    /// Attempts that ended retryable (what `maxAttempts` bounds).
    private(set) var retryableAttempts = 0
    /// Unsettled answers in a row: the backoff exponent.
    private var repeats = 0
    /// When the first 422 arrived.
    private var firstInvalidTransition: ContinuousClock.Instant?

    /// Creates the state of a delivery with no attempt yet.
    init(kind: ReferralEvent.Kind, delivery: RelayConfiguration.Delivery) {
        self.kind = kind
        self.backoff = Backoff(delivery)
        self.maxAttempts = delivery.maxAttempts.map { max(1, $0) }
        self.qualifiedWait = max(.zero, delivery.qualifiedWait)
    }

    /// Records that an attempt starts now.
    mutating func begin(at date: Date) {
        self.attempts += 1
        if self.firstAttemptAt == nil { self.firstAttemptAt = date }
    }

    /// Decides what follows `answer`.
    ///
    /// - Parameters:
    ///   - answer: What the attempt produced.
    ///   - now: The monotonic time of the answer (measures the 422 wait).
    ///   - date: The wall time of the answer (the result's `completedAt`).
    ///   - fraction: A uniformly random value in `0...1` (the jitter), asked only for a retry:
    ///     drawn from the system generator it is a system call, for nothing on a settled answer.
    ///   - registeredMayStillArrive: On a 422, whether input not read yet may still bring the
    ///     awaited `registered`: the wait then does not run out.
    /// - Returns: Settle or repeat.
    mutating func decide(
        _ answer: DeliveryAnswer,
        now: ContinuousClock.Instant,
        date: Date,
        fraction: @autoclosure () -> Double,
        registeredMayStillArrive: Bool = false
    ) -> Decision {
        switch answer.classification {
        case .advanced(let referralID, let state):
            return .settle(self.result(.advanced, answer, date, referralID: referralID, state: state.rawValue))
        case .accepted:
            return .settle(self.result(.advanced, answer, date))
        case .duplicate:
            return .settle(self.result(.duplicate, answer, date))
        case .firstTouchConflict:
            return .settle(self.result(.firstTouchConflict, answer, date))
        case .test:
            return .settle(self.result(.test, answer, date))
        case .rejected(let status, let error):
            return .settle(self.result(.rejected, answer, date, error: error ?? "HTTP \(status)"))
        case .invalidTransition(let error):
            return self.invalidTransition(
                answer, error: error, now: now, date: date, fraction: fraction, pending: registeredMayStillArrive)
        case .systemic:
            // Held without limit: counting these toward maxAttempts would turn a wrong secret
            // into a stream of `failed` outcomes, which is what the hold exists to prevent.
            return .retry(reason: .systemic, delay: self.nextDelay(fraction()), releasingLane: false)
        case .retryable(let status, let retryAfter):
            self.retryableAttempts += 1
            if let maxAttempts = self.maxAttempts, self.retryableAttempts >= maxAttempts {
                let error = "gave up after \(self.attempts) attempts; last: \(Self.describe(answer))"
                return .settle(self.result(.failed, answer, date, error: error))
            }
            var delay = self.nextDelay(fraction())
            if let retryAfter {
                // Honour the endpoint's wish as a lower bound; the jitter still spreads retries.
                let unixNow = Int64(date.timeIntervalSince1970.rounded(.down))
                delay = max(delay, .seconds(retryAfter.delay(now: unixNow)))
            }
            return .retry(reason: Self.reason(status), delay: delay, releasingLane: false)
        }
    }

    private mutating func invalidTransition(
        _ answer: DeliveryAnswer,
        error: String?,
        now: ContinuousClock.Instant,
        date: Date,
        fraction: () -> Double,
        pending: Bool
    ) -> Decision {
        let mmoloveError = error ?? "HTTP 422"
        // A `registered` is never waited for by anything: 422 on it is final (e.g. the token
        // already registered another referee).
        guard self.kind != .registered else {
            return .settle(self.result(.rejected, answer, date, error: mmoloveError))
        }
        // The wait counts from the first 422 after which nothing this instance has still to
        // read could bring the `registered`: a backlog read slowly must not end in rejections.
        let first = pending ? now : (self.firstInvalidTransition ?? now)
        self.firstInvalidTransition = pending ? nil : first
        let remaining = self.qualifiedWait - first.duration(to: now)
        guard remaining > .zero else {
            let error = "registered never landed within the qualified wait of \(self.qualifiedWait): \(mmoloveError)"
            return .settle(self.result(.rejected, answer, date, error: error))
        }
        // Never sleep past the end of the wait: the last try happens when the wait is over.
        let delay = min(self.nextDelay(fraction()), remaining)
        return .retry(reason: .invalidTransition, delay: delay, releasingLane: true)
    }

    private mutating func nextDelay(_ fraction: Double) -> Duration {
        self.repeats += 1
        return self.backoff.delay(attempt: self.repeats, fraction: fraction)
    }

    private func result(
        _ status: OutcomeStatus,
        _ answer: DeliveryAnswer,
        _ date: Date,
        error: String? = nil,
        referralID: String? = nil,
        state: String? = nil
    ) -> DeliveryResult {
        DeliveryResult(
            status: status,
            httpStatus: answer.status,
            error: error,
            referralID: referralID,
            state: state,
            attempts: self.attempts,
            firstAttemptAt: self.firstAttemptAt,
            completedAt: date
        )
    }

    /// The retry reason of a retryable status.
    static func reason(_ status: Int) -> RetryReason {
        switch status {
        case 0: .transport
        case 408, 429, 503: .throttled
        default: .serverError
        }
    }

    /// A short description of a failed answer, for `error` (never a secret: the transport
    /// reason names only the endpoint).
    static func describe(_ answer: DeliveryAnswer) -> String {
        switch answer {
        case .response(let result): "HTTP \(result.status)"
        case .transportFailure(let error): error.reason
        }
    }
}
