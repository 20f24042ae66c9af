import Synchronization

/// Wakes librdkafka's fetcher for partitions the poll thread drained below
/// `queued.min.messages`.
///
/// librdkafka 2.0.2 stops fetching a partition whose queue holds `queued.min.messages` records
/// and decides again only when that partition's broker thread wakes up: for a fetch response,
/// a request to send, or its own timer, up to a second later. Reading the queue does not wake
/// it. When the reader falls behind on every partition at once (a burst of work, the referee
/// gate filling on a backlog of milestones), no fetch is in flight, and the relay sat idle for
/// 0.4-0.7 s with empty queues each time (bench row 1 read 100,000 records in 1.6 s with two
/// such stalls). A watermark query is a request to the partition's leader, so its broker
/// thread wakes and decides again: it fetches at once, or, when a fetch to that broker is
/// already outstanding (a long poll for partitions that are caught up), with its answer, within
/// `fetch.wait.max.ms`. One `rd_kafka_offsets_for_times` call asks for
/// the end offsets of every partition kicked: one request to each leader among them, sent side
/// by side.
///
/// One kick at a time, on the consumer's worker thread, one call per job: partitions drained
/// meanwhile go in the next job, queued behind whatever else the worker serves (commits,
/// watermarks), so a reader that keeps falling behind cannot hold the worker. Stopped with the
/// consumer: nothing is asked about partitions after the close. A partition held back by `queued.max.messages.kbytes` instead (large records) is
/// not seen here: it waits for librdkafka's own wake-up, as before.
final class RDKafkaFetchKick: Sendable {
    private struct State {
        var waiting: [KafkaTopicPartition] = []
        var running = false
        var stopped = false
        var kicked = 0
    }

    /// Partitions asked about per kick (one request per leader among them, whatever the
    /// count); more wait for the next kick.
    static let partitionsPerKick = 256

    private let state = Mutex(State())
    private let client: RDKafkaClient
    private let worker: KafkaThread

    /// Creates the kick for `client`'s consumer, run on `worker`.
    init(client: RDKafkaClient, worker: KafkaThread) {
        self.client = client
        self.worker = worker
    }

    /// Partitions asked about so far, answered or not (tests read it).
    var kicked: Int { self.state.withLock { $0.kicked } }

    /// Asks librdkafka to decide again about fetching `partitions` (soon, not now).
    func kick(_ partitions: [KafkaTopicPartition]) {
        guard !partitions.isEmpty else { return }
        let start = self.state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            for partition in partitions where !state.waiting.contains(partition) {
                state.waiting.append(partition)
            }
            guard !state.running else { return false }
            state.running = true
            return true
        }
        if start { self.submit() }
    }

    /// Drops what waits and asks about nothing more (the consumer is closing).
    func stop() {
        self.state.withLock { state in
            state.stopped = true
            state.waiting.removeAll()
        }
    }

    private func submit() {
        if !self.worker.submit({ self.run() }) {
            self.state.withLock { $0.running = false }
        }
    }

    /// One call for what waits, then hands the worker back; resubmits itself if more came.
    private func run() {
        let batch = self.state.withLock { state -> [KafkaTopicPartition] in
            let batch = state.stopped ? [] : Array(state.waiting.prefix(Self.partitionsPerKick))
            state.waiting.removeFirst(batch.count)
            state.kicked += batch.count
            return batch
        }
        if !batch.isEmpty {
            // The answer does not matter (-1: the end offset); the requests to the leaders do.
            _ = try? self.client.offsetsForTimes(batch.map { ($0, -1) }, timeout: .milliseconds(500))
        }
        let again = self.state.withLock { state -> Bool in
            guard !state.stopped, !state.waiting.isEmpty else {
                state.running = false
                return false
            }
            return true
        }
        if again { self.submit() }
    }
}
