import Logging
import ServiceLifecycle

/// A Kafka consumer over librdkafka: consumer-group subscription (cooperative-sticky by
/// default) or manual assignment, records and rebalances delivered through ``events``.
///
/// Threads: the consumer owns a poll thread (serves the consumer queue with
/// `rd_kafka_consumer_poll`, runs the rebalance callback, reads each assigned partition's own
/// queue round robin, runs seeks and manual assignments, and finally closes and destroys the
/// handle) and a worker thread (commits and queries). Async methods suspend until the thread
/// answers; nothing blocks the cooperative pool.
///
/// - Important: Shutdown order: stop intake, drain, ``commit(_:metadata:)``, then ``close()``,
///   which leaves the group. Revocations during close are completed at once.
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
    /// Holds commits while this member joins the group's next generation.
    let groupJoin: KafkaGroupJoinGate
    /// Partitions the caller asked not to be delivered for now.
    let holds: KafkaConsumerHolds
    /// One queue per assigned partition (poll thread only).
    let queues: RDKafkaPartitionQueues
    /// The poll thread's doorbell.
    let wakeup: RDKafkaWakeup
    /// Running, closing, closed: one state machine for the API, the poll thread and rebalances.
    let lifecycle: KafkaConsumerLifecycle
    let pollJobs: RDKafkaPollJobs
    /// Wakes librdkafka's fetcher for partitions drained below the prefetch limit.
    let fetchKick: RDKafkaFetchKick

    /// Partitions asked about to wake the fetcher after a read drained them, answered or not
    /// (tests read it).
    var fetchKicks: Int { self.fetchKick.kicked }
    let logger: Logger
    /// Properties for temporary helper consumers (see ``offsets(forTimestamp:partitions:timeout:)``).
    let probeProperties: [(String, String)]

    /// Creates the consumer and starts its threads. Call ``subscribe(topics:)`` or ``assign(_:)``.
    ///
    /// - Throws: ``KafkaError`` naming a rejected configuration property.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        let wakeup = RDKafkaWakeup()
        let buffer = KafkaConsumerEventBuffer(capacity: configuration.bufferCapacity) { wakeup.signal() }
        let ownership = KafkaConsumerOwnership()
        let groupJoin = KafkaGroupJoinGate(
            assignmentStrategy: configuration.rdProperties.last { $0.0 == "partition.assignment.strategy" }?.1 ?? "")
        let holds = KafkaConsumerHolds()
        let queues = RDKafkaPartitionQueues(
            batch: configuration.partitionBatch, wakeup: wakeup, fetchThreshold: configuration.fetchThreshold)
        let lifecycle = KafkaConsumerLifecycle(wakeup: wakeup)
        let (statistics, statisticsSink) = AsyncStream.makeStream(
            of: KafkaStatistics.self,
            bufferingPolicy: .bufferingNewest(8)
        )
        let context = RDKafkaClientContext(
            logger: logger,
            scrubber: KafkaSecretScrubber(properties: configuration.rdProperties),
            statistics: statisticsSink,
            rebalance: RDKafkaRebalanceHandler(
                buffer: buffer,
                ownership: ownership,
                holds: holds,
                queues: queues,
                lifecycle: lifecycle,
                revocationTimeout: configuration.revocationTimeout,
                logger: logger
            ),
            groupJoin: groupJoin,
            onFatal: { error in buffer.finish(failure: error) }
        )
        let client = try RDKafkaClient.make(kind: .consumer, properties: configuration.rdProperties, context: context)
        // Serve rebalance, commit, error and statistics callbacks from the consumer queue, which
        // rings the poll thread when something arrives.
        let consumerQueue = try client.startConsumerQueue(wakeup: wakeup)
        let worker = KafkaThread(name: "kafka-consumer-worker")
        let pollJobs = RDKafkaPollJobs(wakeup: wakeup)
        let fetchKick = RDKafkaFetchKick(client: client, worker: worker)
        self.fetchKick = fetchKick
        self.pollJobs = pollJobs
        self.client = client
        self.worker = worker
        self.buffer = buffer
        self.ownership = ownership
        self.groupJoin = groupJoin
        self.holds = holds
        self.queues = queues
        self.wakeup = wakeup
        self.lifecycle = lifecycle
        self.logger = logger
        // The probe shares the group id but must never commit for it, whatever the
        // passthrough properties say (applied last, so these win). A short fetch wait: on the
        // embedded broker each probe (re-assign, read one record) took about `fetch.wait.max.ms`
        // (500 ms by default), so planning a 1,000-record backfill window over 24 partitions
        // took 68 s; with 10 ms, 2.3 s.
        self.probeProperties =
            configuration.rdProperties.filter { $0.0 != "statistics.interval.ms" } + [
                ("enable.auto.commit", "false"), ("enable.auto.offset.store", "false"),
                ("fetch.wait.max.ms", "10"),
            ]
        self.events = KafkaConsumerEvents(buffer: buffer)
        self.statistics = statistics
        let loop = RDKafkaConsumerPollLoop(
            client: client,
            buffer: buffer,
            holds: holds,
            queues: queues,
            consumerQueue: consumerQueue.map(RDKafkaHandleBox.init(pointer:)),
            wakeup: wakeup,
            worker: worker,
            kick: fetchKick,
            jobs: pollJobs,
            lifecycle: lifecycle,
            logger: logger
        )
        KafkaThread.detach(name: "kafka-consumer-poll") {
            loop.run()
            statisticsSink.finish()
        }
    }

    deinit {
        // The poll thread holds what it needs; it closes and destroys the handle itself.
        lifecycle.close()
    }

    /// Leaves the group (`rd_kafka_consumer_close`), ends ``events`` and destroys the handle.
    /// Buffered events are discarded. Idempotent; returns once closed.
    public func close() async {
        lifecycle.close()
        await lifecycle.waitUntilClosed()
    }

    /// Runs until graceful shutdown or cancellation, then closes. For a `ServiceGroup`.
    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await lifecycle.waitUntilClosed()
            } onGracefulShutdown: { [lifecycle] in
                lifecycle.close()
            }
        } onCancel: { [lifecycle] in
            lifecycle.close()
        }
    }

    /// The fatal error librdkafka raised, if any; the consumer must then be recreated.
    public var fatalError: KafkaError? { client.context.fatalError }

    /// The last error librdkafka reported about reaching the cluster (a refused connection, a
    /// failed name lookup, TLS or SASL handshake), scrubbed of the configuration's secrets;
    /// `nil` when there was none. librdkafka retries these by itself, so they never fail a
    /// request; a tool uses this to say why one timed out (`rd_kafka_metadata` only says
    /// `_TRANSPORT`). Errors reach it through the consumer queue, which the poll thread serves
    /// at least every 100 ms.
    public var lastClientError: KafkaError? { client.context.lastClientError }
}
