import Foundation

/// The demo's seed: a realistic mix of players and what the relay must make of each one.
///
/// Deterministic for a given account count, so two runs seed the same ids, tokens and times.
/// Every special case exists whatever the count (the command requires at least
/// ``minimumAccounts``): index 0 reaches its qualifying milestone before its account-created
/// record is produced, index 1 loses a first-touch race to a rival referrer, index 2 carries a
/// token MMOLove does not know. The rest cycle through not referred (`null`, `""`, no `mmref`),
/// referred and qualifying, and referred but never qualifying.
struct DemoScenario: Sendable {
    /// One player of the seed.
    struct Account: Sendable, Hashable {
        /// The account id, also the record key (`acct-000123`).
        var id: String
        /// The `mmref` as it appears in the input.
        var mmref: Mmref
        /// The milestones reached, in order.
        var milestones: [String]
        /// The role the account plays in the demo.
        var role: Role
        /// When the account was created.
        var createdAt: Date

        /// The token, when the player was referred.
        var token: String? {
            if case .token(let token) = self.mmref { return token }
            return nil
        }
    }

    /// How an input record carries the referral token.
    enum Mmref: Sendable, Hashable {
        /// `"mmref": "<token>"`.
        case token(String)
        /// `"mmref": null`.
        case null
        /// `"mmref": ""`.
        case empty
        /// No `mmref` key at all.
        case absent
    }

    /// What the account demonstrates.
    enum Role: String, Sendable, Hashable {
        /// Not referred: skipped, no outcome.
        case notReferred = "not referred"
        /// Referred, reaches the qualifying milestone.
        case qualifying = "referred, qualifies"
        /// Referred, never reaches the qualifying milestone.
        case registeredOnly = "referred, does not qualify"
        /// Its qualifying milestone is produced before its account-created record.
        case milestoneFirst = "milestone before its account-created"
        /// A rival referrer registered the player first.
        case firstTouchRace = "first-touch race lost"
        /// MMOLove does not know its token.
        case unknownToken = "unknown token"
    }

    /// The fewest accounts that hold every special case and every ordinary role.
    static let minimumAccounts = 8
    /// The qualifying milestone (the relay is configured with exactly this one).
    static let qualifyingMilestone = "level_10"
    /// The demo's MMOLove server id.
    static let serverID = "srv_demo"

    /// The players, in index order.
    let accounts: [Account]
    /// The token the rival referrer registered the first-touch account with.
    let rivalToken: String
    /// The key of the malformed record.
    let malformedKey: String
    /// The malformed record's value: JSON cut short, as a crashed producer leaves it.
    let malformedValue: String

    /// Builds the seed.
    ///
    /// - Parameters:
    ///   - accountCount: The number of players (at least ``minimumAccounts``).
    ///   - now: The time the newest event is close to.
    init(accountCount: Int, now: Date = Date()) {
        // One minute apart, the oldest about `accountCount` minutes ago.
        let base = now.addingTimeInterval(-Double(accountCount + 10) * 60)
        self.accounts = (0..<accountCount).map { index in
            Self.account(index: index, createdAt: base.addingTimeInterval(Double(index) * 60))
        }
        self.rivalToken = Self.token(seed: 0xF1_257)
        self.malformedKey = Self.accountID(accountCount)
        self.malformedValue = "{\"account_id\":\"\(self.malformedKey)\",\"mmref\":\"\(Self.token(seed: 0xBAD))\",\"crea"
    }

    /// The account with `role` (the special roles have exactly one).
    func account(_ role: Role) -> Account? {
        self.accounts.first { $0.role == role }
    }

    /// The tokens MMOLove must answer 404 `unknown token`.
    var unknownTokens: Set<String> {
        Set(self.accounts.filter { $0.role == .unknownToken }.compactMap(\.token))
    }

    private static func account(index: Int, createdAt: Date) -> Account {
        let id = self.accountID(index)
        let token = Mmref.token(self.token(seed: UInt64(index)))
        switch index {
        case 0:
            return Account(
                id: id, mmref: token, milestones: ["tutorial_complete", "level_10"], role: .milestoneFirst,
                createdAt: createdAt)
        case 1:
            return Account(
                id: id, mmref: token, milestones: ["tutorial_complete", "level_5"], role: .firstTouchRace,
                createdAt: createdAt)
        case 2:
            return Account(
                id: id, mmref: token, milestones: ["tutorial_complete", "level_10"], role: .unknownToken,
                createdAt: createdAt)
        default:
            break
        }
        switch index % 4 {
        case 0:
            // The three ways a producer says "not referred"; their milestones are skipped too.
            let mmref: [Mmref] = [.null, .empty, .absent]
            return Account(
                id: id, mmref: mmref[(index / 4) % 3], milestones: ["tutorial_complete", "level_10"],
                role: .notReferred, createdAt: createdAt)
        case 1:
            return Account(
                id: id, mmref: token, milestones: ["tutorial_complete", "level_5", "level_10"], role: .qualifying,
                createdAt: createdAt)
        case 2:
            return Account(
                id: id, mmref: token,
                milestones: index % 8 == 2 ? ["tutorial_complete"] : ["tutorial_complete", "level_5"],
                role: .registeredOnly, createdAt: createdAt)
        default:
            return Account(
                id: id, mmref: token, milestones: ["tutorial_complete", "level_10"], role: .qualifying,
                createdAt: createdAt)
        }
    }

    /// `acct-000123`-style ids, starting at 100 so they look like a live system's.
    static func accountID(_ index: Int) -> String {
        let digits = String(100 + index)
        return "acct-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// A `mmref_` token with 16 hex digits, derived from `seed` (SplitMix64's finaliser).
    static func token(seed: UInt64) -> String {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let hex = String(z, radix: 16)
        return "mmref_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
