import CRDKafka
import Synchronization

/// Owns one `rd_kafka_t` handle and the context its callbacks reach.
///
/// `@unchecked Sendable`: the handle pointer is immutable and librdkafka handles are
/// thread-safe; the owner (consumer, producer or mock cluster) guarantees no call races
/// ``destroy()``, which runs once, on a module thread, after the owner's threads stopped.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer
        case consumer
    }

    private let handle: OpaquePointer
    /// Kept alive for as long as librdkafka may call back with its unretained opaque pointer.
    let context: RDKafkaClientContext
    private let destroyed = Atomic<Bool>(false)
    /// Topic handles created by ``prepareTopics(_:timeout:)``, destroyed with the client.
    let topicHandles = Mutex<[String: RDKafkaHandleBox]>([:])

    /// The librdkafka version string this binary is linked against.
    static var version: String { String(cString: rd_kafka_version_str()) }

    /// Whether the linked librdkafka has issue 4312 (fixed in 2.3.0): see
    /// ``KafkaGroupJoin/destroyMayAbort(groupLeft:)``.
    static let abortsOnUnassignedDestroy = rd_kafka_version() < 0x0203_0000

    private init(handle: OpaquePointer, context: RDKafkaClientContext) {
        self.handle = handle
        self.context = context
    }

    /// Creates a handle from `properties`, applied in order (later entries win).
    ///
    /// - Throws: ``KafkaError`` naming the property librdkafka rejected (never its value when
    ///   the name looks secret), or the reason `rd_kafka_new` failed, scrubbed of the
    ///   context's secrets.
    static func make(
        kind: Kind,
        properties: [(String, String)],
        context: RDKafkaClientContext
    ) throws(KafkaError) -> RDKafkaClient {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .invalidArgument, reason: "rd_kafka_conf_new failed")
        }
        // `rd_kafka_new` takes ownership of the conf only on success.
        var confOwned = true
        defer { if confOwned { rd_kafka_conf_destroy(conf) } }

        for (name, value) in properties {
            try RDKafkaConfig.set(name, value, on: conf, scrubber: context.scrubber)
        }
        RDKafkaCallbacks.install(on: conf, consumer: kind == .consumer)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())

        var errstr = [CChar](repeating: 0, count: 512)
        let type = kind == .consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            let reason = errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw KafkaError(code: .invalidArgument, reason: "rd_kafka_new failed: \(context.scrubber.scrub(reason))")
        }
        confOwned = false
        return RDKafkaClient(handle: handle, context: context)
    }

    /// Runs `body` with the raw handle; the pointer must not escape the closure.
    func withHandle<T>(_ body: (OpaquePointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
        guard !destroyed.load(ordering: .acquiring) else { throw KafkaError.closed() }
        return try body(handle)
    }

    /// Runs `body` with the raw handle, or returns `nil` once destroyed.
    func withHandleIgnoringClosed<T>(_ body: (OpaquePointer) -> T) -> T? {
        try? withHandle { handle in body(handle) }
    }

    /// Destroys the handle (blocking until librdkafka's threads exit). Idempotent.
    ///
    /// - Parameters:
    ///   - consumerClosed: the consumer was already closed with `rd_kafka_consumer_close`;
    ///     destroy must not close it again (after a fatal error a second close never finishes
    ///     in librdkafka 2.0.2).
    ///   - groupLeft: that close succeeded, so librdkafka's group handling has terminated.
    /// - Returns: `false` when the handle was left alive instead (see
    ///   ``abandonsInsteadOfDestroying(groupLeft:)``).
    /// - Important: Call on a module thread, after every other user of the handle stopped.
    @discardableResult
    func destroy(consumerClosed: Bool = false, groupLeft: Bool = false) -> Bool {
        KafkaThread.preconditionOnModuleThread()
        guard !destroyed.exchange(true, ordering: .acquiringAndReleasing) else { return true }
        if self.abandonsInsteadOfDestroying(groupLeft: groupLeft) { return false }
        for topic in topicHandles.withLock({ $0.values }) { rd_kafka_topic_destroy(topic.pointer) }
        if consumerClosed {
            rd_kafka_destroy_flags(handle, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
        } else {
            rd_kafka_destroy(handle)
        }
        return true
    }

    /// A group member whose handle librdkafka 2.0.2 would abort on
    /// (``KafkaGroupJoin/destroyMayAbort(groupLeft:)``) is not destroyed: its threads and
    /// connections are left to the process's exit, and its context, which their callbacks
    /// reach, is kept alive for them. After a successful close the member has left its group;
    /// otherwise (a fatal error, or a deinit without a close) it stays a member until its
    /// session times out, which a process that is stopping does not see.
    ///
    /// - Returns: `true` when the handle was left alive.
    private func abandonsInsteadOfDestroying(groupLeft: Bool) -> Bool {
        guard Self.abortsOnUnassignedDestroy, let join = self.context.groupJoin, join.assignorKeepsState,
            join.current.destroyMayAbort(groupLeft: groupLeft)
        else { return false }
        self.context.logger.notice(
            "consumer handle left to the process's exit",
            metadata: [
                "reason":
                    "librdkafka \(Self.version) aborts when it destroys a group member stopped between its join and its first assignment (librdkafka issue 4312)"
            ])
        _ = Unmanaged.passRetained(self.context)
        return true
    }

    deinit {
        // Normally destroyed by its owner's poll thread. If not, destroy on a fresh module
        // thread: `rd_kafka_destroy` blocks and deinit may run on the cooperative pool.
        if !destroyed.load(ordering: .acquiring), !self.abandonsInsteadOfDestroying(groupLeft: false) {
            let handle = RDKafkaHandleBox(pointer: handle)
            let context = self.context
            KafkaThread.detach(name: "rdkafka-destroy") {
                rd_kafka_destroy(handle.pointer)
                _ = context  // Outlives the handle's last callback.
            }
        }
    }
}

/// Carries a handle pointer to the thread that destroys it.
///
/// `@unchecked Sendable`: moved exactly once, from a deinit to the destroying thread.
struct RDKafkaHandleBox: @unchecked Sendable {
    let pointer: OpaquePointer
}
