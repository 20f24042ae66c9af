/// A response from the referral endpoint, classified by status code first and body second.
///
/// Every row of the contract maps to one case, and every case answers ``isFinal``,
/// ``isRetryable``, ``isPerEvent`` and ``isSystemic``:
///
/// | case | final | retryable | per-event | systemic |
/// |---|---|---|---|---|
/// | `advanced`, `duplicate`, `firstTouchConflict`, `test`, `accepted` | yes | no | no | no |
/// | `rejected` (400; 404 unknown token) | yes | no | yes | no |
/// | `invalidTransition` (422) | no | yes, bounded by the caller | yes | no |
/// | `systemic` (401; 404 server/referrals/secret; unknown 4xx; 3xx; 2xx not `ok`) | no | no (hold) | no | yes |
/// | `retryable` (5xx, 0, 408, 429) | no | yes | no | no |
public enum ReferralResponse: Sendable, Hashable {
    /// The state of a referral after an advancing event.
    public enum State: String, Sendable, Hashable {
        /// The referee registered through this referral.
        case registered
        /// The referee qualified; the referrer may be rewarded.
        case qualified
        /// Reversed by the owner.
        case reversed
    }

    /// 200 `{"ok":true,"referral_id":…,"state":…}`: advanced, or an idempotent no-op into that state.
    case advanced(referralID: String, state: State)
    /// 200 `{"ok":true,"duplicate":true}`: this (token, event, server_event_id) already arrived.
    case duplicate
    /// 200 `{"ok":true,"ignored":"first_touch_conflict"}`: another referrer registered the referee.
    case firstTouchConflict
    /// 200 `{"ok":true,"test":true}`: a dry run passed verification.
    case test
    /// Any other 2xx whose body is a JSON object with `"ok":true`: the endpoint took the event.
    case accepted(status: Int)
    /// A per-event rejection (400, or 404 for the token): never retry the same bytes.
    case rejected(status: Int, error: String?)
    /// 422: illegal from the referral's state; on `qualified` usually its `registered` has not
    /// landed yet, so the caller retries for a bounded time before treating it as rejected.
    case invalidTransition(error: String?)
    /// Configuration is wrong and every event is affected: hold events, pause, probe.
    case systemic(status: Int, error: String?)
    /// Try again later with backoff (5xx, status 0 transport failure, 408, 429); the optional
    /// `Retry-After` is honoured.
    case retryable(status: Int, retryAfter: RetryAfter?)

    /// Whether the event is settled (accepted or definitively rejected) and must not be sent again.
    public var isFinal: Bool {
        switch self {
        case .advanced, .duplicate, .firstTouchConflict, .test, .accepted, .rejected: true
        case .invalidTransition, .systemic, .retryable: false
        }
    }

    /// Whether the same event may be sent again after a delay (for 422 only within a bounded wait).
    public var isRetryable: Bool {
        switch self {
        case .retryable, .invalidTransition: true
        default: false
        }
    }

    /// Whether the failure concerns only this event (other events are unaffected).
    public var isPerEvent: Bool {
        switch self {
        case .rejected, .invalidTransition: true
        default: false
        }
    }

    /// Whether the failure concerns every event (wrong secret, server, endpoint or clock).
    public var isSystemic: Bool {
        if case .systemic = self { return true }
        return false
    }

    /// Whether the endpoint took the event (a 2xx whose body says `"ok":true`).
    public var isAccepted: Bool {
        switch self {
        case .advanced, .duplicate, .firstTouchConflict, .test, .accepted: true
        default: false
        }
    }
}
