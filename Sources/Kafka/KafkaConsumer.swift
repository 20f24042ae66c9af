import CRDKafka
import Logging
import ServiceLifecycle

/// A Kafka consumer over librdkafka: consumer-group subscription (cooperative-sticky by
/// default) or manual assignment, records and rebalances delivered through ``events``.
///
/// Threads: the consumer owns a poll thread (runs `rd_kafka_consumer_poll`, the rebalance
/// callback and seeks, and finally closes and destroys the handle) and a worker thread (runs
/// every other call: commits, queries, pause/resume, assignment). Async methods suspend until
/// the thread answers; nothing blocks the cooperative pool.
///
/// - Important: Shutdown order: stop intake, drain, ``commit(_:)``, then ``close()``, which
///   leaves the group. Revocations during close are completed at once.
public final class KafkaConsumer: Sendable, Service {
    /// Records and rebalance events, in order per partition (a revocation overtakes buffered
    /// records, see ``KafkaConsumerEvent/revoked(_:)``). One reader.
    public let events: KafkaConsumerEvents
    /// librdkafka statistics every ``KafkaConsumerConfiguration/statisticsInterval`` (newest kept).
    public let statistics: AsyncStream<KafkaStatistics>

    let client: RDKafkaClient
    let worker: KafkaThread
    let buffer: KafkaConsumerEventBuffer
    /// Refuses commits for partitions the group revoked from this consumer.
    let ownership: KafkaConsumerOwnership
    /// Caller and back-pressure pauses.
    let fetchControl: KafkaConsumerFetchControl
    let lifecycle: RDKafkaPollLifecycle
    let pollJobs: RDKafkaPollJobs
    let logger: Logger
    /// Properties for temporary helper consumers (see ``offsets(forTimestamp:partitions:timeout:)``).
    let probeProperties: [(String, String)]

    /// Creates the consumer and starts its threads. Call ``subscribe(topics:)`` or ``assign(_:)``.
    ///
    /// - Throws: ``KafkaError`` naming a rejected configuration property.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        let buffer = KafkaConsumerEventBuffer(capacity: configuration.bufferCapacity)
        let ownership = KafkaConsumerOwnership()
        let fetchControl = KafkaConsumerFetchControl()
        let (statistics, statisticsSink) = AsyncStream.makeStream(
            of: KafkaStatistics.self,
            bufferingPolicy: .bufferingNewest(8)
        )
        let context = RDKafkaClientContext(
            logger: logger,
            statistics: statisticsSink,
            rebalance: RDKafkaRebalanceHandler(
                buffer: buffer,
                ownership: ownership,
                fetchControl: fetchControl,
                revocationTimeout: configuration.revocationTimeout,
                logger: logger
            ),
            onFatal: { error in buffer.finish(failure: error) }
        )
        let client = try RDKafkaClient.make(kind: .consumer, properties: configuration.rdProperties, context: context)
        // Serve rebalance, commit, error and statistics callbacks from rd_kafka_consumer_poll.
        try client.withHandle { handle throws(KafkaError) in
            let err = rd_kafka_poll_set_consumer(handle)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "rd_kafka_poll_set_consumer") }
        }
        let worker = KafkaThread(name: "kafka-consumer-worker")
        let lifecycle = RDKafkaPollLifecycle()
        let pollJobs = RDKafkaPollJobs()
        self.pollJobs = pollJobs
        self.client = client
        self.worker = worker
        self.buffer = buffer
        self.ownership = ownership
        self.fetchControl = fetchControl
        self.lifecycle = lifecycle
        self.logger = logger
        // The probe shares the group id but must never commit for it, whatever the
        // passthrough properties say (applied last, so these win).
        self.probeProperties =
            configuration.rdProperties.filter { $0.0 != "statistics.interval.ms" } + [
                ("enable.auto.commit", "false"), ("enable.auto.offset.store", "false"),
            ]
        self.events = KafkaConsumerEvents(buffer: buffer)
        self.statistics = statistics
        KafkaThread.detach(name: "kafka-consumer-poll") {
            Self.pollLoop(
                client: client,
                buffer: buffer,
                fetchControl: fetchControl,
                worker: worker,
                jobs: pollJobs,
                lifecycle: lifecycle,
                logger: logger
            )
            statisticsSink.finish()
        }
    }

    deinit {
        // The poll thread holds what it needs; it closes and destroys the handle itself.
        lifecycle.requestStop()
    }

    /// Leaves the group (`rd_kafka_consumer_close`), ends ``events`` and destroys the handle.
    /// Buffered events are discarded. Idempotent; returns once closed.
    public func close() async {
        buffer.beginClosing()
        lifecycle.requestStop()
        await lifecycle.waitUntilClosed()
    }

    /// Runs until graceful shutdown or cancellation, then closes. For a `ServiceGroup`.
    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await lifecycle.waitUntilClosed()
            } onGracefulShutdown: { [buffer, lifecycle] in
                buffer.beginClosing()
                lifecycle.requestStop()
            }
        } onCancel: { [buffer, lifecycle] in
            buffer.beginClosing()
            lifecycle.requestStop()
        }
    }

    /// The fatal error librdkafka raised, if any; the consumer must then be recreated.
    public var fatalError: KafkaError? { client.context.fatalError }

    /// The poll thread: polls all the time (fetching only while the buffer has room) and serves
    /// callbacks, then closes and destroys.
    ///
    /// While the buffer is full, every assigned partition is paused in librdkafka and polling
    /// goes on: rebalances are served and the member stays within `max.poll.interval.ms`
    /// however long the reader stalls. A record polled while paused (fetched before the pause)
    /// is still buffered, so nothing is lost or reordered; librdkafka 2.0.2 discards what it
    /// had pre-fetched for a paused partition, so in practice none arrives (see
    /// ``KafkaConsumerEventBuffer``).
    private static func pollLoop(
        client: RDKafkaClient,
        buffer: KafkaConsumerEventBuffer,
        fetchControl: KafkaConsumerFetchControl,
        worker: KafkaThread,
        jobs: RDKafkaPollJobs,
        lifecycle: RDKafkaPollLifecycle,
        logger: Logger
    ) {
        while !lifecycle.isStopRequested {
            jobs.runPending()
            let wasHolding = fetchControl.isBackPressureActive
            let holding = buffer.shouldHoldFetching(holding: wasHolding)
            if holding != wasHolding {
                _ = client.withHandleIgnoringClosed { handle in
                    if holding {
                        fetchControl.beginBackPressure(handle)
                    } else {
                        fetchControl.endBackPressure(handle)
                    }
                }
            }
            // While holding, poll briefly so fetching resumes soon after the reader made room.
            let timeout: Int32 = holding ? 10 : 100
            guard let message = try? client.withHandle({ rd_kafka_consumer_poll($0, timeout) }) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let err = message.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                buffer.push(.message(KafkaConsumerMessage(message)))
            } else if err == RD_KAFKA_RESP_ERR__FATAL {
                // Consumers get fatal errors as error messages rather than through error_cb.
                var reason = [CChar](repeating: 0, count: 512)
                let original = client.withHandleIgnoringClosed { rd_kafka_fatal_error($0, &reason, reason.count) }
                let detail = reason.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                var error = KafkaError.from(original ?? err, "Fatal error: \(detail)")
                error.isFatal = true
                client.context.recordFatal(error)
            } else if err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                logger.warning(
                    "Consumer error",
                    metadata: [
                        "kafka.code": "\(KafkaError.Code(err).name)",
                        "kafka.topic": "\(message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "")",
                    ]
                )
            }
        }
        buffer.beginClosing()
        _ = try? client.withHandle { handle in
            let err = rd_kafka_consumer_close(handle)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning("Consumer close failed", metadata: ["kafka.code": "\(KafkaError.Code(err).name)"])
            }
        }
        jobs.close()
        worker.stopAndJoin()
        buffer.finish()
        // Closed as far as callers are concerned: the group was left and nothing uses the
        // handle any more. Destroying it joins librdkafka's threads, which must not hold up
        // an orderly shutdown.
        lifecycle.markClosed()
        client.destroy(consumerClosed: true)
        logger.debug("Consumer destroyed")
    }
}
