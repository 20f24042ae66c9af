import AsyncHTTPClient
import Logging
import ReferralKit

/// Delivers referral events to MMOLove: encodes each once, re-signs every attempt, retries with
/// full-jitter backoff (honouring Retry-After), holds on systemic failures, waits a bounded time
/// on 422 for `qualified`, and keeps one attempt at a time per account (a `registered` in flight
/// always goes before its account's `qualified`).
public final class Deliverer: Sendable {
    /// Creates a deliverer.
    ///
    /// - Parameters:
    ///   - mmolove: Endpoint, credentials, timeouts.
    ///   - delivery: Retry and ordering settings.
    ///   - httpClient: The shared pooled client (its owner shuts it down).
    ///   - metrics: Where retries and HTTP latencies are counted.
    ///   - health: Where systemic failures are reported (readiness).
    ///   - logger: Where per-event logs go.
    public init(
        mmolove: RelayConfiguration.MMOLove,
        delivery: RelayConfiguration.Delivery,
        httpClient: HTTPClient,
        metrics: RelayMetrics,
        health: RelayHealth,
        logger: Logger
    ) throws(ReferralError) {
        fatalError("Deliverer: not implemented yet")
    }

    /// Delivers `request` until it is settled (any status of ``OutcomeStatus``).
    ///
    /// - Throws: `CancellationError` only, when the task is cancelled (shutdown deadline or a
    ///   revoked partition): the event is then not settled and will be redelivered.
    public func deliver(_ request: DeliveryRequest) async throws -> DeliveryResult {
        fatalError("Deliverer: not implemented yet")
    }
}
