import Foundation
import ReferralKit

extension Deliverer {
    /// A server's probe: a signed `test:true` event, which MMOLove verifies and never writes.
    static func probe(for server: String) -> EncodedReferralEvent {
        // Every field is a valid constant: the event cannot fail to build.
        try! ReferralEvent(
            kind: .registered, token: "mmref_relay_probe", serverID: server, refereeIdentity: "relay-probe",
            serverEventID: "reg-relay-probe", test: true
        ).encoded()
    }

    /// One attempt of a delivery: waits for the rate limit, then for a permit of the server's
    /// concurrency limit, then sends (`starting` is called just before) and gives the permit back
    /// with the answer.
    ///
    /// The rate comes first, so a permit is held only while a request is at MMOLove: that is the
    /// concurrency the limit measures, and a request waiting for its turn in the rate would
    /// otherwise look like the limit in use and raise it for nothing.
    ///
    /// - Returns: The answer, or `nil` when the server's breaker opened while the request waited
    ///   for a permit (nothing was sent: sending into an open breaker is what it exists to stop).
    /// - Throws: `CancellationError` when cancelled; the permit, if any, is then given back.
    func attempt(
        _ encoded: EncodedReferralEvent,
        with client: ReferralClient,
        kind: ReferralEvent.Kind,
        server: String,
        starting: () -> Void
    ) async throws -> DeliveryAnswer? {
        try Task.checkCancellation()
        // Every request counts toward the rate, retries and probes too: the limit is what the
        // partner sees.
        try await self.rateLimiter?.acquire()
        guard let limits = self.concurrencyLimits else {
            starting()
            return try await self.send(encoded, with: client, kind: kind)
        }
        return try await limits.withPermit(server) {
            guard !self.breakers.isOpen(server) else { return nil }
            starting()
            return try await self.send(encoded, with: client, kind: kind)
        }
    }

    /// One signed POST of the encoded bytes (re-signed with a fresh `t`), timed.
    ///
    /// - Throws: `CancellationError` when the task was cancelled (the request then ended
    ///   without an answer, which must not count as a transport failure).
    func send(
        _ encoded: EncodedReferralEvent,
        with client: ReferralClient,
        kind: ReferralEvent.Kind
    ) async throws -> DeliveryAnswer {
        try Task.checkCancellation()
        let started = ContinuousClock.now
        let answer: DeliveryAnswer
        do {
            answer = .response(try await client.send(encoded))
        } catch {
            try Task.checkCancellation()
            answer = .transportFailure(error)
        }
        self.metrics.httpAttempt(event: kind, server: encoded.event.serverID, duration: started.duration(to: .now))
        return answer
    }
}
