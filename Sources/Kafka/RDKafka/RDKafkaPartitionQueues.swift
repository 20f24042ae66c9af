import CRDKafka

/// The consumer's records, one librdkafka queue per assigned partition, read round robin.
///
/// By default librdkafka forwards every partition's fetch queue into the one consumer queue
/// that `rd_kafka_consumer_poll` serves. The binding splits them (`rd_kafka_queue_forward(q,
/// NULL)`, before the partition is assigned, so the fetch start does not forward it again):
///
/// - **Fairness.** Each turn takes at most ``batch`` records from each partition, so a backlog
///   spread over several partitions is read side by side, never one partition after another.
/// - **Back-pressure without pausing.** A partition whose queue is not read stops being fetched
///   once librdkafka holds `queued.min.messages` records or `queued.max.messages.kbytes` of it
///   (both per partition once split). Nothing is purged and refetched, and no
///   `rd_kafka_pause_partitions`/`rd_kafka_resume_partitions` is needed: in 2.0.2 those race
///   with the fetcher and a resume can restart a partition from a stale position, delivering
///   records a second time (see docs/DESIGN.md).
/// - **Holds.** A partition the caller holds is simply not read.
///
/// Rebalance events, errors, logs and statistics stay on the consumer queue.
///
/// `@unchecked Sendable`: confined to the consumer's poll thread (the rebalance callback and
/// poll jobs run there too); every method asserts it.
final class RDKafkaPartitionQueues: @unchecked Sendable {
    private struct Entry {
        var partition: KafkaTopicPartition
        var queue: OpaquePointer
    }

    /// Records taken from one partition per turn.
    let batch: Int
    /// `queued.min.messages`: at this many queued records librdkafka stops fetching a partition.
    let fetchThreshold: Int
    /// Partitions a read took from at least ``fetchThreshold`` queued records to fewer, since
    /// the last ``takeDrained()``: librdkafka stopped fetching them and will not notice on its
    /// own for up to a second (``RDKafkaFetchKick``).
    private var drained: [KafkaTopicPartition] = []
    private let wakeup: RDKafkaWakeup
    private var entries: [Entry] = []
    /// Where the next turn starts, so no partition is always served first.
    private var cursor = 0
    private let messages: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>

    /// Creates an empty set of queues.
    ///
    /// - Parameters:
    ///   - batch: Records taken from one partition per turn.
    ///   - wakeup: The poll thread's bell, rung by librdkafka when a queue becomes non-empty.
    ///   - fetchThreshold: librdkafka's `queued.min.messages`.
    init(batch: Int, wakeup: RDKafkaWakeup, fetchThreshold: Int = Int.max) {
        self.batch = max(1, batch)
        self.fetchThreshold = max(1, fetchThreshold)
        self.wakeup = wakeup
        self.messages = .allocate(capacity: self.batch)
    }

    deinit {
        self.messages.deallocate()
    }

    /// The partitions read from their own queue.
    var partitions: [KafkaTopicPartition] { self.entries.map(\.partition) }

    /// Takes `partitions` onto their own queues. Call before they are assigned in librdkafka.
    func split(_ partitions: [KafkaTopicPartition], _ handle: OpaquePointer) {
        KafkaThread.preconditionOnModuleThread()
        for partition in partitions where !self.entries.contains(where: { $0.partition == partition }) {
            guard let queue = rd_kafka_queue_get_partition(handle, partition.topic, partition.partition) else {
                continue  // Not a consumer, or no such partition: it stays on the consumer queue.
            }
            rd_kafka_queue_forward(queue, nil)
            var payload = RDKafkaWakeup.payload
            rd_kafka_queue_io_event_enable(queue, self.wakeup.fd, &payload, 8)
            self.entries.append(Entry(partition: partition, queue: queue))
        }
    }

    /// Lets go of the queues of `partitions` (after they were unassigned in librdkafka).
    func remove(_ partitions: some Sequence<KafkaTopicPartition>) {
        KafkaThread.preconditionOnModuleThread()
        let removed = Set(partitions)
        for entry in self.entries where removed.contains(entry.partition) {
            Self.release(entry.queue)
        }
        self.entries.removeAll { removed.contains($0.partition) }
    }

    /// Lets go of every queue (before the handle is destroyed: a queue handle keeps its
    /// partition alive).
    func removeAll() {
        self.remove(self.entries.map(\.partition))
    }

    /// Reads up to `limit` records, round robin, at most ``batch`` per partition and turn,
    /// skipping `held` partitions. Each message is handed to `body` and destroyed after it.
    ///
    /// - Returns: The number of messages handed over.
    func read(
        limit: Int,
        skipping held: Set<KafkaTopicPartition>,
        _ body: (UnsafeMutablePointer<rd_kafka_message_t>) -> Void
    ) -> Int {
        KafkaThread.preconditionOnModuleThread()
        guard !self.entries.isEmpty, limit > 0 else { return 0 }
        var taken = 0
        let count = self.entries.count
        let start = self.cursor % count
        self.cursor = (start + 1) % count
        for step in 0..<count where taken < limit {
            let entry = self.entries[(start + step) % count]
            if held.contains(entry.partition) { continue }
            let wanted = min(self.batch, limit - taken)
            let queued = Int(rd_kafka_queue_length(entry.queue))
            let got = rd_kafka_consume_batch_queue(entry.queue, 0, self.messages, wanted)
            guard got > 0 else { continue }
            if queued >= self.fetchThreshold, queued - got < self.fetchThreshold {
                self.drained.append(entry.partition)
            }
            for index in 0..<got {
                guard let message = self.messages[index] else { continue }
                body(message)
                rd_kafka_message_destroy(message)
            }
            taken += got
        }
        return taken
    }

    /// The partitions reads took below ``fetchThreshold`` since the last call.
    func takeDrained() -> [KafkaTopicPartition] {
        KafkaThread.preconditionOnModuleThread()
        // Called after every read: nothing to hand over, and no copy of the buffer, on most.
        guard !self.drained.isEmpty else { return [] }
        defer { self.drained.removeAll() }
        return self.drained
    }

    private static func release(_ queue: OpaquePointer) {
        // No more wake-ups to a descriptor that may be closed before the partition goes.
        rd_kafka_queue_io_event_enable(queue, -1, nil, 0)
        rd_kafka_queue_destroy(queue)
    }
}
