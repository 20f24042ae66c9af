import DequeModule

/// The rows the referee store's local copy applied last, by account, in memory: a lookup that
/// finds its account here reads no SQLite.
///
/// On a backlog or a backfill, both topics are read side by side, and a `qualified` looks its
/// account up moments after its `registered`'s ending was applied: each such lookup was a
/// SQLite read (a statement, two file-lock system calls, row decoding) costing about 2% of the
/// relay's CPU. Live, a milestone comes long after its account and finds nothing here; the
/// lookup then reads SQLite as before.
///
/// Kept in the copy's own order: a row is added when the transaction that wrote it commits
/// (the copy has one writer), and only when its upsert changed the copy, so an account held
/// here has the copy's row. A row the upsert refused (an earlier offset read again) is not
/// added: for an account that had left this set, it would have been held in place of the
/// copy's newer row. Everything is dropped when another connection wrote the file (SQLite's
/// `data_version`, seen by this copy's next transaction): until then, which is as long as the
/// relay writes nothing, a lookup may still answer a row another process replaced. Tools are
/// to use a directory of their own (the runbook says so). The oldest account added leaves
/// first once `limit` are held; an account updated keeps its place.
struct RecentReferees: Sendable {
    private var rows: [String: RefereeDatabase.Row] = [:]
    private var order: Deque<String> = []
    private var dataVersion: Int64?
    /// The most accounts held.
    let limit: Int

    /// Creates an empty set holding at most `limit` accounts.
    init(limit: Int) {
        self.limit = limit
    }

    /// Accounts held.
    var count: Int { self.rows.count }

    /// The record of `accountID`, when one of the last rows applied was its.
    func record(_ accountID: String) -> RefereeRecord? { self.rows[accountID]?.record }

    /// The row of `accountID`, when one of the last rows applied was its.
    func row(_ accountID: String) -> RefereeDatabase.Row? { self.rows[accountID] }

    /// The copy now holds `row` for its account (its upsert changed the copy).
    mutating func applied(_ row: RefereeDatabase.Row) {
        let accountID = row.record.accountID
        if self.rows[accountID] != nil {
            self.rows[accountID] = row
            return
        }
        guard self.limit > 0 else { return }
        self.rows[accountID] = row
        self.order.append(accountID)
        if self.order.count > self.limit, let oldest = self.order.popFirst() {
            self.rows.removeValue(forKey: oldest)
        }
    }

    /// The writer connection's `data_version` at the start of a transaction.
    ///
    /// - Returns: Whether it changed since the last one (another connection wrote the file).
    mutating func noteDataVersion(_ version: Int64?) -> Bool {
        defer { self.dataVersion = version }
        return self.dataVersion != nil && version != self.dataVersion
    }

    /// Forgets everything (the copy was emptied).
    mutating func removeAll() {
        self.rows.removeAll()
        self.order.removeAll()
    }
}
