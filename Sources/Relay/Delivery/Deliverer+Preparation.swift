import Foundation
import ReferralKit

extension Deliverer {
    /// Why a request is rejected before anything is sent.
    struct Rejection: Error {
        /// The reason, for the outcome's `error` (never a secret).
        var reason: String

        /// The `rejected` result: no attempt, no HTTP status.
        var result: DeliveryResult {
            DeliveryResult(
                status: .rejected,
                httpStatus: nil,
                error: self.reason,
                attempts: 0,
                firstAttemptAt: nil,
                completedAt: Date()
            )
        }
    }

    /// Picks the server's client and builds, validates and encodes the event once.
    ///
    /// - Parameter request: The request.
    /// - Returns: The client and the encoded event, or why the request cannot be sent.
    func prepare(
        _ request: DeliveryRequest
    ) -> Result<(ReferralClient, EncodedReferralEvent), Rejection> {
        guard let serverID = request.serverID else {
            return .failure(Rejection(reason: "no server_id: the event names none and no default server is configured"))
        }
        guard let client = self.client(for: serverID) else {
            return .failure(Rejection(reason: "no secret configured for server_id '\(serverID)'"))
        }
        do {
            let event = try ReferralEvent(
                kind: request.kind,
                token: request.mmref,
                serverID: serverID,
                refereeIdentity: request.kind == .registered ? request.accountID : nil,
                serverEventID: request.serverEventID,
                ts: request.ts,
                test: request.test || self.testEvents
            )
            return .success((client, event.encoded()))
        } catch {
            return .failure(Rejection(reason: error.reason))
        }
    }
}
