import Kafka

/// Input records that follow the input contract v1 (`schemas/account-created.v1.json`,
/// `schemas/milestone-reached.v1.json`): compact UTF-8 JSON, keyed by account id, about 120
/// bytes each so that a million fit the embedded broker's per-partition retention.
enum InputRecords {
    /// The MMOLove server every record names (and the relay signs for).
    static let serverID = "srv_bench"
    /// The milestone the relay is configured to treat as qualifying.
    static let qualifyingMilestone = "level_10"
    /// A fixed event time; the relay sends it as `ts` and nothing measures it.
    private static let eventTime = "2026-11-29T07:00:00Z"

    /// The account id of player `index` in the run named `run`.
    static func accountID(run: String, _ index: Int) -> String {
        "\(self.accountPrefix(run: run))\(index)"
    }

    /// What every account id of `run` starts with (and no other run's: runs never contain `-`).
    static func accountPrefix(run: String) -> String {
        "acct-\(run)-"
    }

    /// The referral token of an account.
    static func token(account: String) -> String {
        "mmr_\(account)"
    }

    /// An `account-created` record; `referred: false` writes `"mmref":null` (skipped by the relay).
    static func accountCreated(topic: String, account: String, referred: Bool) -> KafkaProducerRecord {
        let mmref = referred ? "\"\(Self.token(account: account))\"" : "null"
        let value =
            "{\"account_id\":\"\(account)\",\"mmref\":\(mmref),\"server_id\":\"\(Self.serverID)\","
            + "\"created_at\":\"\(Self.eventTime)\"}"
        return KafkaProducerRecord(topic: topic, key: Array(account.utf8), value: Array(value.utf8))
    }

    /// A `milestone-reached` record of the qualifying milestone; `referred: false` writes
    /// `"mmref":null` (skipped by the relay).
    static func milestoneReached(topic: String, account: String, referred: Bool) -> KafkaProducerRecord {
        let mmref = referred ? "\"\(Self.token(account: account))\"" : "null"
        let value =
            "{\"account_id\":\"\(account)\",\"milestone\":\"\(Self.qualifyingMilestone)\",\"mmref\":\(mmref),"
            + "\"server_id\":\"\(Self.serverID)\",\"reached_at\":\"\(Self.eventTime)\"}"
        return KafkaProducerRecord(topic: topic, key: Array(account.utf8), value: Array(value.utf8))
    }
}
