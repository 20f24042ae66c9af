import DequeModule
import Kafka

/// Records for MMOLove servers whose circuit breaker is open, waiting as records instead of
/// as started deliveries.
///
/// A delivery started towards an open server parks at its breaker as a task, and a parked task
/// keeps the async frames of its deepest call: about 30 KiB each, measured with heaptrack behind
/// a 503 endpoint (bench row 7: 8,051 parked deliveries held 240 MiB). A waiting record costs
/// its bytes, about 1 KiB. So once a server's breaker is open, its records stop starting while
/// one of its `registered` deliveries is started (that one waits at the breaker, where the
/// waiters are elected to probe it); they start again, in the order read, when the breaker
/// closes, or one at a time when the server has no started `registered` left to probe it.
///
/// Only a `registered` counts: it goes straight to its server's breaker, where a `qualified`
/// may first wait up to the qualified wait for the referee store, or take another server from
/// it, and would leave the breaker without anyone to probe it meanwhile.
///
/// A value: ``RelayScheduler`` owns it and decides what to do with the records it hands back.
struct BlockedServers: Sendable {
    /// Servers whose breaker is open.
    private(set) var open: Set<String> = []
    /// Waiting records per open server, in the order they were read.
    private var queues: [String: Deque<RelayWorkItem>] = [:]
    /// Waiting records, all servers.
    private(set) var count = 0
    /// Waiting records per partition: the partitions feeding them (see
    /// ``RelayScheduler/parkedSources``).
    private(set) var perPartition: [KafkaTopicPartition: Int] = [:]
    /// Started `registered` deliveries per server.
    private var startedPerServer: [String: Int] = [:]
    /// The server of each started `registered`.
    private var serverOf: [OffsetTicket: String] = [:]

    /// The breaker key of `item`'s delivery; `nil` when it is not known before it starts (a
    /// milestone that takes its token, and so its server, from the referee store).
    static func server(of item: RelayWorkItem) -> String? {
        guard case .deliver(let request) = item.decision, !request.tokenFromStore else { return nil }
        return request.serverID ?? ""
    }

    /// Whether `item` must wait instead of starting: its server's breaker is open and a
    /// `registered` of that server is started (it probes; this one would only park beside it).
    func mustWait(_ item: RelayWorkItem) -> Bool {
        // Every record passes here: nothing to look at while every breaker is closed.
        guard !self.open.isEmpty, let server = Self.server(of: item), self.open.contains(server) else { return false }
        return self.startedPerServer[server, default: 0] > 0
    }

    /// Queues `item` until its server's breaker closes.
    mutating func add(_ item: RelayWorkItem) {
        guard let server = Self.server(of: item) else { return }
        self.queues[server, default: []].append(item)
        self.count += 1
        self.perPartition[item.ticket.partition, default: 0] += 1
    }

    /// Counts `items` out of ``perPartition``.
    private mutating func left(_ items: some Sequence<RelayWorkItem>) {
        for item in items { self.perPartition.countDown(item.ticket.partition) }
    }

    /// `item` started: counts it for its server when it is a `registered`.
    mutating func started(_ item: RelayWorkItem) {
        guard case .deliver(let request) = item.decision, request.kind == .registered, !request.tokenFromStore
        else { return }
        let server = request.serverID ?? ""
        self.serverOf[item.ticket] = server
        self.startedPerServer[server, default: 0] += 1
    }

    /// A started record's work ended (or it left the window for the referee gate).
    ///
    /// - Returns: A waiting record of its server to start when that server has no started
    ///   `registered` left but still waits for its breaker: without one, nobody would probe it.
    mutating func ended(_ ticket: OffsetTicket) -> RelayWorkItem? {
        guard let server = self.serverOf.removeValue(forKey: ticket) else { return nil }
        guard self.startedPerServer.countDown(server) == 0 else { return nil }
        return self.popProber(server)
    }

    /// For every open server with waiting records and no started `registered` (its prober was
    /// dropped with a revoked partition before it started), a waiting record to start.
    mutating func probersNeeded() -> [RelayWorkItem] {
        self.queues.keys.sorted().filter { self.startedPerServer[$0] == nil }.compactMap { self.popProber($0) }
    }

    /// Records a breaker change.
    ///
    /// - Returns: The server's waiting records, in the order read, when its breaker closed.
    mutating func set(_ server: String, open: Bool) -> [RelayWorkItem] {
        guard !open else {
            self.open.insert(server)
            return []
        }
        self.open.remove(server)
        let released = Array(self.queues.removeValue(forKey: server) ?? [])
        self.count -= released.count
        self.left(released)
        return released
    }

    /// Removes the waiting records of `partitions` (revoked), returning them.
    mutating func remove(_ partitions: Set<KafkaTopicPartition>) -> [RelayWorkItem] {
        var removed: [RelayWorkItem] = []
        for server in Array(self.queues.keys) {
            guard var queue = self.queues[server] else { continue }
            removed += queue.filter { partitions.contains($0.ticket.partition) }
            queue.removeAll { partitions.contains($0.ticket.partition) }
            self.queues[server] = queue.isEmpty ? nil : queue
        }
        self.count -= removed.count
        self.left(removed)
        return removed
    }

    /// Removes every waiting record (draining), returning them.
    mutating func removeAll() -> [RelayWorkItem] {
        let removed = self.queues.values.flatMap { Array($0) }
        self.queues.removeAll()
        self.count = 0
        self.perPartition = [:]
        return removed
    }

    /// The server's first waiting `registered`, else its first waiting record.
    private mutating func popProber(_ server: String) -> RelayWorkItem? {
        guard var queue = self.queues[server], !queue.isEmpty else { return nil }
        let index = queue.firstIndex { $0.decision.registeredAccountID != nil } ?? queue.startIndex
        let prober = queue.remove(at: index)
        self.queues[server] = queue.isEmpty ? nil : queue
        self.count -= 1
        self.left([prober])
        return prober
    }
}
