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
