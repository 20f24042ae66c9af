import Logging
import ServiceLifecycle
import Synchronization

/// A Kafka producer over librdkafka (idempotent unless its configuration says otherwise) whose
/// ``send(_:)`` returns once the broker confirmed the record.
///
/// Threads: the producer owns a poll thread (serves delivery reports, errors and statistics
/// with `rd_kafka_poll`; finally flushes and destroys the handle) and a worker thread (for
/// ``flush(timeout:)``). Enqueueing a record (`rd_kafka_produceva`) never blocks, so ``send(_:)``
/// calls it directly and suspends until the delivery report resumes it.
public final class KafkaProducer: Sendable, Service {
    /// librdkafka statistics every ``KafkaProducerConfiguration/statisticsInterval``.
    public let statistics: AsyncStream<KafkaStatistics>

    let client: RDKafkaClient
    let worker: KafkaThread
    private let lifecycle: RDKafkaPollLifecycle
    private let logger: Logger
    private let queueFullBackoff: Duration
    /// Guards the handle against destruction while a record is enqueued, and carries the
    /// flush timeout to use on close.
    private let state = LockedState()

    private struct State {
        var closeTimeout: Duration = .seconds(10)
    }

    /// Shares the close gate and the close timeout with the poll thread without retaining the
    /// producer.
    private final class LockedState: Sendable {
        let mutex = Mutex(State())
        /// Keeps the handle alive while a record is enqueued.
        let gate = ProduceGate()

        func withLock<T>(_ body: (inout State) -> T) -> T { mutex.withLock { body(&$0) } }
    }

    /// Creates the producer and starts its threads.
    ///
    /// - Throws: ``KafkaError`` naming a rejected configuration property.
    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        let (statistics, statisticsSink) = AsyncStream.makeStream(
            of: KafkaStatistics.self,
            bufferingPolicy: .bufferingNewest(8)
        )
        let context = RDKafkaClientContext(
            logger: logger,
            scrubber: KafkaSecretScrubber(properties: configuration.rdProperties),
            statistics: statisticsSink
        )
        let client = try RDKafkaClient.make(kind: .producer, properties: configuration.rdProperties, context: context)
        let worker = KafkaThread(name: "kafka-producer-worker")
        let lifecycle = RDKafkaPollLifecycle()
        self.client = client
        self.worker = worker
        self.lifecycle = lifecycle
        self.logger = logger
        self.queueFullBackoff = configuration.queueFullBackoff
        self.statistics = statistics
        KafkaThread.detach(name: "kafka-producer-poll") { [state] in
            while !lifecycle.isStopRequested {
                client.servePollQueue(milliseconds: 100)
            }
            state.gate.close()
            let timeout = state.withLock { $0.closeTimeout }
            client.drainAtClose(timeout: timeout, logger: logger)
            worker.stopAndJoin()
            statisticsSink.finish()
            client.destroy()
            lifecycle.markClosed()
        }
    }

    deinit {
        lifecycle.requestStop()
    }

    /// The fatal error librdkafka raised (for example a broken idempotent sequence), if any.
    /// Once set, every ``send(_:)`` fails; the producer must be recreated.
    public var fatalError: KafkaError? { client.context.fatalError }

    /// Publishes `record` and returns once the broker acknowledged it.
    ///
    /// When librdkafka's local queue is full the send backs off and retries (it never drops).
    /// Cancelling the task does not withdraw a record already handed to librdkafka.
    ///
    /// - Throws: ``KafkaError`` if the record could not be delivered within the delivery
    ///   timeout, the producer is closed, or a fatal error was raised (``KafkaError/isFatal``).
    public func send(_ record: KafkaProducerRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        while true {
            if let fatal = fatalError { throw fatal }
            let outcome = await withUnsafeContinuation { (continuation: UnsafeContinuation<DeliveryOutcome, Never>) in
                let immediate = enqueue(record, continuation: continuation)
                if let immediate { continuation.resume(returning: immediate) }
            }
            switch outcome {
            case .delivered(let report):
                return report
            case .failed(let error):
                throw error
            case .queueFull:
                do {
                    try await Task.sleep(for: queueFullBackoff)
                } catch {
                    throw KafkaError(code: .queueFull, reason: "Cancelled while the producer queue was full")
                }
            }
        }
    }

    /// Hands the record to librdkafka; returns an outcome only when it was not enqueued (the
    /// delivery-report callback resumes the continuation otherwise).
    private func enqueue(
        _ record: KafkaProducerRecord,
        continuation: UnsafeContinuation<DeliveryOutcome, Never>
    ) -> DeliveryOutcome? {
        let box = Unmanaged.passRetained(RDKafkaDeliveryBox(continuation: continuation))
        let enqueued: RDKafkaClient.Enqueued
        if state.gate.enter() {
            defer { state.gate.leave() }
            enqueued = client.produce(record, opaque: box.toOpaque())
        } else {
            enqueued = .closed
        }
        if case .enqueued = enqueued { return nil }
        // Not enqueued: librdkafka will never call back with this opaque.
        box.release()
        switch enqueued {
        case .enqueued: return nil
        case .queueFull: return .queueFull
        case .closed: return .failed(.closed())
        case .failed(var error):
            if let fatal = fatalError { error.isFatal = fatal.isFatal }
            return .failed(error)
        }
    }

    /// Waits until every enqueued record was delivered or failed.
    ///
    /// - Throws: ``KafkaError`` (`_TIMED_OUT`) when records remain after `timeout`.
    public func flush(timeout: Duration) async throws(KafkaError) {
        try await worker.run { [client] () throws(KafkaError) in try client.flush(timeout: timeout) }
    }

    /// Stops accepting records, flushes for up to `timeout`, fails what is still queued, and
    /// destroys the handle. Idempotent; returns once closed.
    public func close(timeout: Duration = .seconds(10)) async {
        state.withLock { $0.closeTimeout = timeout }
        lifecycle.requestStop()
        await lifecycle.waitUntilClosed()
    }

    /// Runs until graceful shutdown or cancellation, then closes. For a `ServiceGroup`.
    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await lifecycle.waitUntilClosed()
            } onGracefulShutdown: { [lifecycle] in
                lifecycle.requestStop()
            }
        } onCancel: { [lifecycle] in
            lifecycle.requestStop()
        }
    }
}
