import Logging
import ReferralKit
import Synchronization

/// Tracks whether the endpoint fails systemically, shared by every delivery: reports the
/// failure to readiness and metrics when it starts or changes, and clears both on the first
/// answer that proves the configuration works (any accepted or per-event answer, from any
/// delivery). Logs once per transition, so a held stream of events does not flood the log.
final class SystemicFailureMonitor: Sendable {
    private let current = Mutex<String?>(nil)
    private let health: RelayHealth
    private let metrics: RelayMetrics
    private let logger: Logger

    init(health: RelayHealth, metrics: RelayMetrics, logger: Logger) {
        self.health = health
        self.metrics = metrics
        self.logger = logger
    }

    /// Looks at one answer: systemic ones report a failure, settled ones clear it, retryable
    /// ones (5xx, transport) say nothing about the configuration.
    ///
    /// - Parameter answer: What an attempt produced.
    func observe(_ answer: DeliveryAnswer) {
        let response = answer.classification
        if case .systemic(let status, let error) = response {
            self.failing(error.map { "\(status) \($0)" } ?? "\(status)", status: status, error: error)
        } else if response.isAccepted || response.isPerEvent {
            self.healthy()
        }
    }

    private func failing(_ description: String, status: Int, error: String?) {
        // Health and metrics are updated inside the lock so two deliveries racing (one failing,
        // one healed) cannot leave readiness disagreeing with this state.
        let changed = self.current.withLock { current -> Bool in
            guard current != description else { return false }
            current = description
            self.health.systemicFailure(description)
            self.metrics.systemicFailure(true)
            return true
        }
        if changed {
            self.logger.warning(
                "MMOLove endpoint failing systemically; holding events until the configuration works",
                metadata: [
                    DeliveryLogMetadata.httpStatus: "\(status)",
                    DeliveryLogMetadata.error: "\(error ?? "")",
                ]
            )
        }
    }

    private func healthy() {
        let recovered = self.current.withLock { current -> Bool in
            guard current != nil else { return false }
            current = nil
            self.health.systemicFailure(nil)
            self.metrics.systemicFailure(false)
            return true
        }
        if recovered {
            self.logger.notice("MMOLove endpoint accepts events again")
        }
    }
}
