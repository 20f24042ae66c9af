import ReferralKit

/// One referral event the relay must deliver, as mapped from an input record. The
/// ``Deliverer`` builds, validates and encodes the MMOLove body from it once, then re-signs the
/// same bytes on every attempt.
public struct DeliveryRequest: Sendable, Hashable {
    /// `registered` (from account-created) or `qualified` (from a qualifying milestone).
    public var kind: ReferralEvent.Kind
    /// The account id (the record key of the outcome, `referee_identity` on `registered`).
    public var accountID: String
    /// The `mmref` token (non-empty).
    public var mmref: String
    /// The MMOLove server: the event's `server_id`, else the configured default; `nil` when
    /// neither exists (the event is then rejected, it cannot be signed).
    public var serverID: String?
    /// `reg-<account_id>` or `qual-<account_id>`: stable, so replays are duplicates.
    public var serverEventID: String
    /// Unix seconds of the event itself (its own time, else the record timestamp).
    public var ts: Int64?
    /// Send as a dry run (`"test": true`).
    public var test: Bool
    /// Where the record came from.
    public var source: RecordSource
    /// A milestone that carried no `mmref`: ``mmref`` (and ``serverID``) come from the referee
    /// store before it is sent, or it is skipped as not referred.
    public var tokenFromStore: Bool = false

    /// Creates a request.
    public init(
        kind: ReferralEvent.Kind,
        accountID: String,
        mmref: String,
        serverID: String?,
        serverEventID: String,
        ts: Int64?,
        test: Bool = false,
        source: RecordSource
    ) {
        self.kind = kind
        self.accountID = accountID
        self.mmref = mmref
        self.serverID = serverID
        self.serverEventID = serverEventID
        self.ts = ts
        self.test = test
        self.source = source
    }
}
