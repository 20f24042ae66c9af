import Foundation

/// A decoded input record (input contract v1, `schemas/account-created.v1.json` and
/// `schemas/milestone-reached.v1.json`). Unknown fields are ignored when decoding.
public enum LifecycleEvent: Sendable, Hashable {
    /// A player account was created.
    case accountCreated(AccountCreated)
    /// A player reached a milestone.
    case milestoneReached(MilestoneReached)

    /// The account id of either kind.
    public var accountID: String {
        switch self {
        case .accountCreated(let event): event.accountID
        case .milestoneReached(let event): event.accountID
        }
    }
}

/// `account-created` v1.
public struct AccountCreated: Sendable, Hashable {
    /// `account_id` (required, non-empty).
    public var accountID: String
    /// `mmref`: the referral token, `nil` or empty when the player was not referred.
    public var mmref: String?
    /// `server_id`, when the event names its MMOLove server.
    public var serverID: String?
    /// `created_at` (RFC 3339), when present.
    public var createdAt: Date?

    /// Creates the event.
    public init(accountID: String, mmref: String?, serverID: String? = nil, createdAt: Date? = nil) {
        self.accountID = accountID
        self.mmref = mmref
        self.serverID = serverID
        self.createdAt = createdAt
    }
}

/// `milestone-reached` v1.
public struct MilestoneReached: Sendable, Hashable {
    /// `account_id` (required, non-empty).
    public var accountID: String
    /// `milestone` (required, non-empty).
    public var milestone: String
    /// `mmref`: the referral token, `nil` or empty when the player was not referred.
    public var mmref: String?
    /// `server_id`, when the event names its MMOLove server.
    public var serverID: String?
    /// `reached_at` (RFC 3339), when present.
    public var reachedAt: Date?

    /// Creates the event.
    public init(accountID: String, milestone: String, mmref: String?, serverID: String? = nil, reachedAt: Date? = nil) {
        self.accountID = accountID
        self.milestone = milestone
        self.mmref = mmref
        self.serverID = serverID
        self.reachedAt = reachedAt
    }
}
