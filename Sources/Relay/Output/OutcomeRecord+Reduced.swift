import Crypto
import Foundation
import Kafka
import ReferralKit

extension OutcomeRecord {
    /// The longest `error` a reduced outcome keeps, in characters.
    static let reducedErrorLength = 200

    /// This outcome cut down to what a reward service needs, for when the whole outcome is
    /// larger than the producer may send: `status`, `event`, `account_id`, `server_id`,
    /// `server_event_id`, `mmref`, `reward`, the attempt fields and `source` stay; `referral_id`
    /// and `state` go; `error` keeps its first ``reducedErrorLength`` characters; `reduced` is
    /// true. It stays valid referral-outcome/v1.
    public func reducedForm() -> OutcomeRecord {
        var reduced = self
        reduced.referralID = nil
        reduced.state = nil
        if let error, error.count > Self.reducedErrorLength {
            reduced.error = error.prefix(Self.reducedErrorLength) + "…"
        }
        reduced.reduced = true
        return reduced
    }

    /// The key of a reduced outcome whose account id is too large to be its key as well:
    /// `sha256:` and the lowercase hex SHA-256 of the account id. Stable, so an account's
    /// outcomes still land on one partition; the account id itself is in the value.
    public static func hashedKey(accountID: String) -> String {
        let digest = SHA256.hash(data: Array(accountID.utf8))
        return "sha256:"
            + digest.map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
    }

    /// The Kafka record of this outcome that fits in `maxBytes`
    /// (``KafkaProducerRecord/sizeEstimate``): the outcome itself when it fits; else its
    /// ``reducedForm()``, keyed by the account id when that fits too, else by
    /// ``hashedKey(accountID:)``; `nil` when not even that fits (the account id, `mmref` and
    /// `server_id` alone are too large).
    public func producerRecord(topic: String, maxBytes: Int) -> KafkaProducerRecord? {
        let full = self.producerRecord(topic: topic)
        if full.sizeEstimate <= maxBytes { return full }
        var reduced = self.reducedForm().producerRecord(topic: topic)
        if reduced.sizeEstimate <= maxBytes { return reduced }
        reduced.key = Array(Self.hashedKey(accountID: self.accountID).utf8)
        return reduced.sizeEstimate <= maxBytes ? reduced : nil
    }

    /// The size (``KafkaProducerRecord/sizeEstimate``) of the smallest outcome record `request`
    /// can end with: its reduced form under a hashed key, with every field the delivery adds at
    /// its longest. A request above the producer's limit must not be sent to MMOLove, since no
    /// outcome of it could be published.
    public static func smallestSize(of request: DeliveryRequest) -> Int {
        let longest = DeliveryResult(
            status: .firstTouchConflict,
            httpStatus: 599,
            error: String(repeating: "\u{10FFFF}", count: Self.reducedErrorLength + 1),
            attempts: Int.max,
            firstAttemptAt: .distantFuture,
            completedAt: .distantFuture
        )
        var record = OutcomeRecord(request: request, result: longest, replay: true).reducedForm()
            .producerRecord(topic: request.source.topic)
        record.key = Array(Self.hashedKey(accountID: request.accountID).utf8)
        return record.sizeEstimate
    }
}
