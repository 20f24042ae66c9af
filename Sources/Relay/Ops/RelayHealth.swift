import Synchronization

/// What `/healthz` and `/readyz` answer from, shared by the pipeline, the deliverer and the ops
/// server.
///
/// Ready means: the consumer has joined its group (an assignment arrived, possibly empty, so
/// extra replicas beyond the partition count do not block a rollout), the endpoint is not
/// failing systemically, no partition has been held by one record for long
/// (`RELAY_HELD_PARTITION_READINESS_SECONDS`), and the relay is not shutting down. Live means the pipeline has not
/// hit a fatal Kafka error.
public final class RelayHealth: Sendable {
    /// A snapshot of the state.
    public struct Snapshot: Sendable, Hashable {
        /// Whether an assignment arrived since start.
        public var joinedGroup: Bool = false
        /// Partitions currently assigned.
        public var assignedPartitions: Int = 0
        /// The last systemic failure (status and MMOLove's error), cleared by the next success.
        public var systemicFailure: String?
        /// Set once shutdown began.
        public var draining: Bool = false
        /// A fatal error that ends the process (e.g. a fatal librdkafka error).
        public var fatal: String?
        /// The partitions held by one unsettled record for long, and what holds them.
        public var heldPartitions: String?

        /// Whether `/readyz` answers 200.
        public var isReady: Bool {
            joinedGroup && systemicFailure == nil && heldPartitions == nil && !draining && fatal == nil
        }
        /// Whether `/healthz` answers 200.
        public var isLive: Bool { fatal == nil }
    }

    private let state = Mutex(Snapshot())

    /// Creates a health state: live, not ready.
    public init() {}

    /// The current state.
    public var snapshot: Snapshot { self.state.withLock { $0 } }

    /// Records the current assignment size (and that the group was joined).
    public func assigned(partitions count: Int) {
        self.state.withLock {
            $0.joinedGroup = true
            $0.assignedPartitions = count
        }
    }

    /// Records a systemic failure (`nil` clears it after a success).
    public func systemicFailure(_ description: String?) {
        self.state.withLock { $0.systemicFailure = description }
    }

    /// Records the partitions held for long (`nil` once none is).
    public func heldPartitions(_ description: String?) {
        self.state.withLock { $0.heldPartitions = description }
    }

    /// Records that shutdown began.
    public func draining() {
        self.state.withLock { $0.draining = true }
    }

    /// Records a fatal error.
    public func fatal(_ description: String) {
        self.state.withLock { $0.fatal = description }
    }
}
