import Foundation

/// One input record the demo produces: topic, key (the account id) and the JSON value, exactly
/// as a game backend would write it.
struct DemoSeedRecord: Sendable, Hashable {
    /// The input topic.
    var topic: String
    /// The record key.
    var key: String
    /// The record value (UTF-8 JSON, or deliberately not).
    var value: String

    /// The `account-created` record of `account` (v1 input contract).
    static func accountCreated(_ account: DemoScenario.Account, topic: String) -> DemoSeedRecord {
        var fields: [(String, String)] = [("account_id", Self.quoted(account.id))]
        fields += Self.mmrefField(account.mmref)
        // Some producers name the server, others leave it to the relay's default.
        if account.id.hasSuffix("1") || account.id.hasSuffix("5") {
            fields.append(("server_id", Self.quoted(DemoScenario.serverID)))
        }
        fields.append(("created_at", Self.quoted(Self.rfc3339(account.createdAt))))
        // An unknown field: the contract says consumers ignore it.
        fields.append(("platform", Self.quoted(account.id.hasSuffix("0") ? "ios" : "android")))
        return DemoSeedRecord(topic: topic, key: account.id, value: Self.object(fields))
    }

    /// The `milestone-reached` record of `account` reaching its `index`-th milestone.
    static func milestoneReached(_ account: DemoScenario.Account, index: Int, topic: String) -> DemoSeedRecord {
        let reachedAt = account.createdAt.addingTimeInterval(Double(index + 1) * 17)
        var fields: [(String, String)] = [
            ("account_id", Self.quoted(account.id)),
            ("milestone", Self.quoted(account.milestones[index])),
        ]
        fields += Self.mmrefField(account.mmref)
        fields.append(("reached_at", Self.quoted(Self.rfc3339(reachedAt))))
        return DemoSeedRecord(topic: topic, key: account.id, value: Self.object(fields))
    }

    private static func mmrefField(_ mmref: DemoScenario.Mmref) -> [(String, String)] {
        switch mmref {
        case .token(let token): [("mmref", Self.quoted(token))]
        case .null: [("mmref", "null")]
        case .empty: [("mmref", "\"\"")]
        case .absent: []
        }
    }

    /// Compact JSON in the given key order (ids, tokens and times here need no escaping).
    private static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    private static func quoted(_ string: String) -> String { "\"\(string)\"" }

    private static func rfc3339(_ date: Date) -> String {
        // `2026-11-25T01:52:29Z`: RFC 3339 in UTC.
        date.formatted(.iso8601)
    }
}
