import Kafka

/// The `registered` events read by this instance and not settled yet, by ticket (with each
/// record's timestamp) and by account.
///
/// Both questions a waiting `qualified` asks come from here: whether an older `registered`
/// may still land (the 422 wait, ``RelayScheduler/dependencyBehind(_:highWatermark:)``), and
/// whether its own account's `registered` is being sent right now (the referee store's
/// verdict on that account is then about to change: a backfill, or a redelivery, re-sends a
/// registration the store holds as `failed`, and its qualified must wait for how it ends).
struct UnsettledRegistrations: Sendable {
    /// Each unsettled record's timestamp (milliseconds; `Int64.min` without one) and account.
    private var byTicket: [OffsetTicket: (timestamp: Int64, accountID: String?)] = [:]
    /// Unsettled records per account.
    private var perAccount: [String: Int] = [:]

    /// Creates an empty set.
    init() {}

    /// Whether none is unsettled.
    var isEmpty: Bool { self.byTicket.isEmpty }

    /// A `registered` (or other record of the dependency topic) was read.
    mutating func insert(_ ticket: OffsetTicket, timestamp: Int64?, accountID: String?) {
        self.remove(ticket)
        self.byTicket[ticket] = (timestamp ?? Int64.min, accountID)
        if let accountID { self.perAccount[accountID, default: 0] += 1 }
    }

    /// It settled, was abandoned or dropped.
    mutating func remove(_ ticket: OffsetTicket) {
        guard let removed = self.byTicket.removeValue(forKey: ticket), let accountID = removed.accountID else { return }
        let left = (self.perAccount[accountID] ?? 1) - 1
        self.perAccount[accountID] = left > 0 ? left : nil
    }

    /// Whether one at least as old as `timestamp` is unsettled.
    func hasAny(atOrBefore timestamp: Int64) -> Bool {
        self.byTicket.values.contains { $0.timestamp <= timestamp }
    }

    /// Whether a `registered` of `accountID` is unsettled.
    func contains(account accountID: String) -> Bool { self.perAccount[accountID] != nil }
}
