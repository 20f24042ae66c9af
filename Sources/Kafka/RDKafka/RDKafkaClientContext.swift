import CRDKafka
import Logging
import Synchronization

/// The state librdkafka's C callbacks reach through the handle's opaque pointer.
///
/// Callbacks run on librdkafka's internal threads (logs) and on the module's poll thread
/// (everything else), so everything here is immutable or guarded by a `Mutex`.
final class RDKafkaClientContext: Sendable {
    let logger: Logger
    /// Removes the configuration's secrets from librdkafka's text (logs, errors).
    let scrubber: KafkaSecretScrubber
    let statistics: AsyncStream<KafkaStatistics>.Continuation?
    /// Consumer only: serves group rebalances on the poll thread.
    let rebalance: RDKafkaRebalanceHandler?
    /// Consumer in a group only: the join state commits wait on (fed from librdkafka's log).
    let groupJoin: KafkaGroupJoinGate?
    /// Called (on the poll thread) when librdkafka raises a fatal error.
    let onFatal: (@Sendable (KafkaError) -> Void)?
    private let fatal = Mutex<KafkaError?>(nil)
    private let lastClient = Mutex<KafkaError?>(nil)

    init(
        logger: Logger,
        scrubber: KafkaSecretScrubber,
        statistics: AsyncStream<KafkaStatistics>.Continuation?,
        rebalance: RDKafkaRebalanceHandler? = nil,
        groupJoin: KafkaGroupJoinGate? = nil,
        onFatal: (@Sendable (KafkaError) -> Void)? = nil
    ) {
        self.logger = logger
        self.scrubber = scrubber
        self.statistics = statistics
        self.rebalance = rebalance
        self.groupJoin = groupJoin
        self.onFatal = onFatal
    }

    /// The fatal error librdkafka raised on this client, if any.
    var fatalError: KafkaError? { fatal.withLock { $0 } }

    /// The last non-fatal client-level error (see ``recordClientError(_:)``).
    var lastClientError: KafkaError? { lastClient.withLock { $0 } }

    /// Keeps a non-fatal client-level error from the error callback (already scrubbed), so that
    /// a request that times out can say why. `_ALL_BROKERS_DOWN` only sums up the errors
    /// before it ("1/1 brokers are down"), so it never replaces the one that named a broker.
    func recordClientError(_ error: KafkaError) {
        let summary = error.code == KafkaError.Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        lastClient.withLock { last in
            if summary && last != nil { return }
            last = error
        }
    }

    func recordFatal(_ error: KafkaError) {
        let first = fatal.withLock { current in
            if current != nil { return false }
            current = error
            return true
        }
        if first {
            logger.critical("librdkafka raised a fatal error", metadata: ["kafka.error": "\(error)"])
            onFatal?(error)
        }
    }

    /// Recovers the context from a C opaque pointer set with `rd_kafka_conf_set_opaque`.
    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaClientContext? {
        guard let opaque else { return nil }
        return Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}
