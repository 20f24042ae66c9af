import Foundation
import Kafka
import ReferralSandbox

/// One outcome record as the reward service reads it (output contract v1): decoded by the test
/// with its own `Decodable`, so a drift of the relay's field names fails here.
struct Outcome: Decodable, Sendable, Hashable {
    /// `source`: the input record the outcome is about.
    struct Source: Decodable, Sendable, Hashable {
        var topic: String
        var partition: Int32
        var offset: Int64
    }

    var schema: String
    var status: String
    var event: String
    var accountID: String
    var serverID: String
    var serverEventID: String
    var mmref: String
    var referralID: String?
    var state: String?
    var reward: Bool
    var httpStatus: Int?
    var error: String?
    var attempts: Int
    var source: Source
    var replay: Bool
    /// The record key (the account id), not part of the JSON.
    var key: String?

    private enum CodingKeys: String, CodingKey {
        case schema, status, event, mmref, state, reward, error, attempts, source, replay
        case accountID = "account_id"
        case serverID = "server_id"
        case serverEventID = "server_event_id"
        case referralID = "referral_id"
        case httpStatus = "http_status"
    }

    /// Decodes an outcome record.
    ///
    /// - Throws: `DecodingError` naming the field when the record breaks the contract.
    init(_ message: KafkaConsumerMessage) throws {
        self = try JSONDecoder().decode(Outcome.self, from: Data(message.value))
        self.key = message.keyString
    }
}

/// One request the sandbox received, reduced to what the tests check.
struct SandboxDelivery: Sendable, Hashable {
    /// The log's sequence number (from 1).
    var sequence: Int
    /// `event` of the body.
    var event: String?
    /// `server_event_id` of the body.
    var serverEventID: String?
    /// `token` of the body.
    var token: String?
    /// Whether the body was a `test:true` dry run.
    var test: Bool
    /// The answered status (0: dropped).
    var status: Int
    /// The sandbox's verdict.
    var verdict: SandboxVerdict
}

extension RelayHarness {
    /// The sandbox's delivery log: every request to the events endpoint, oldest first.
    var deliveries: [SandboxDelivery] {
        self.store.log.filter { $0.path.hasSuffix("/api/referral/events") }.map { entry in
            let body = (try? JSONSerialization.jsonObject(with: Data(entry.body.utf8))) as? [String: Any] ?? [:]
            return SandboxDelivery(
                sequence: entry.sequence,
                event: body["event"] as? String,
                serverEventID: body["server_event_id"] as? String,
                token: body["token"] as? String,
                test: body["test"] as? Bool ?? false,
                status: entry.status,
                verdict: entry.verdict
            )
        }
    }

    /// How many times the sandbox accepted each `server_event_id` as new (verdict `advanced`).
    var acceptedAsNew: [String: Int] {
        self.deliveries.filter { $0.verdict == .advanced }.reduce(into: [:]) { counts, delivery in
            counts[delivery.serverEventID ?? "?", default: 0] += 1
        }
    }
}

/// Splits what a ``TopicReader`` read into outcomes and dead letters.
struct RelayOutputs {
    /// The outcome records, decoded.
    var outcomes: [Outcome]
    /// The dead-letter records, raw.
    var deadLetters: [KafkaConsumerMessage]

    /// Decodes `messages`.
    ///
    /// - Throws: When an outcome record does not decode.
    init(_ messages: [KafkaConsumerMessage]) throws {
        self.outcomes = try messages.filter { $0.topic == RelayHarness.outcomes }.map(Outcome.init)
        self.deadLetters = messages.filter { $0.topic == RelayHarness.dlq }
    }

    /// The outcomes grouped by `server_event_id`.
    var byServerEventID: [String: [Outcome]] {
        Dictionary(grouping: self.outcomes, by: \.serverEventID)
    }
}

/// A referral test account and the events it should produce.
struct TestAccount: Sendable, Hashable {
    var id: String
    var mmref: Mmref

    /// `reg-<id>`.
    var registered: String { "reg-\(self.id)" }
    /// `qual-<id>`.
    var qualified: String { "qual-\(self.id)" }

    /// `count` referred accounts `<prefix>-0001…` with distinct tokens.
    static func referred(_ prefix: String, count: Int) -> [TestAccount] {
        let run = UUID().uuidString.prefix(6).lowercased()
        return (1...count).map { index in
            let number = String(format: "%04d", index)
            return TestAccount(id: "\(prefix)-\(run)-\(number)", mmref: .token("mmr_\(run)_\(prefix)_\(number)"))
        }
    }
}
