import Foundation
import GRDB
import Synchronization

/// The referee store's local copy: SQLite on disk (through GRDB), so ten million referred
/// accounts cost disk, not memory. Kafka's compacted referees topic is the source of truth; this
/// copy is a cache of it that survives restarts of the process (and of the pod, with a volume)
/// and records how far each partition of the topic has been applied, so a restart reads on from
/// there instead of from the beginning.
///
/// Each account row keeps the topic position it came from; a write (from the topic or from this
/// instance, whose own writes are held for lookups until the reader's next flush applies them) only replaces
/// a row from an earlier position of the same partition, so re-reading the topic never turns an
/// account back to an older state.
final class RefereeDatabase: Sendable {
    /// One write: an account's record at its topic position.
    struct Row: Sendable, Hashable {
        var record: RefereeRecord
        var partition: Int32
        var offset: Int64
    }

    private let pool: DatabasePool
    /// The connection lookups read through: one read-only connection of its own, not a reader
    /// of `pool`. Every read of a `DatabasePool` takes a connection from its reader pool, whose
    /// generic code instantiates a key path (demangling type names) on every call, and checks
    /// the schema version; together they cost more than the lookup (perf, bench row 4).
    private let lookups: DatabaseQueue
    /// Every account id written to the copy (``AccountFilter``); sized by ``loadFilter(capacity:)``.
    private let filter = Mutex(AccountFilter(capacity: 0))
    /// The rows applied last, answered without SQLite (about 3 MB at the default limit).
    private let recent: Mutex<RecentReferees>
    /// This instance's own writes, acknowledged by the broker and waiting for the reader's next
    /// flush to apply them, by account: answered by lookups until the transaction that applies
    /// them commits (see ``hold(_:)``).
    private let held = Mutex<[String: Row]>([:])

    /// Opens (creating when needed) the database in `directory` for `topic`. A copy made for
    /// another topic is discarded: its positions mean nothing here.
    ///
    /// - Throws: When the directory cannot be created or SQLite refuses the file.
    init(directory: String, topic: String, recentLimit: Int = 16_384) throws {
        self.recent = Mutex(RecentReferees(limit: recentLimit))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.label = "referees"
        // Kafka is the source of truth: a write lost with the machine is read again from the
        // topic, so commits need not wait for the disk.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        // Two processes sharing a directory (a relay and a tool, or a misconfigured pair) wait
        // for each other's writes instead of failing on SQLITE_BUSY, which stops the relay.
        configuration.busyMode = .timeout(10)
        let path = directory + "/referees.sqlite"
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS referees (
                        account_id TEXT PRIMARY KEY, mmref TEXT NOT NULL, server_id TEXT,
                        registration TEXT NOT NULL, updated_ms INTEGER NOT NULL,
                        partition INTEGER NOT NULL, offset INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS positions (partition INTEGER PRIMARY KEY, next_offset INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS progress (
                        topic TEXT NOT NULL, partition INTEGER NOT NULL, through_ms INTEGER NOT NULL,
                        PRIMARY KEY (topic, partition)
                    );
                    """)
            let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'topic'")
            if stored != topic {
                try db.execute(sql: "DELETE FROM referees; DELETE FROM positions; DELETE FROM progress;")
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('topic', ?)", arguments: [topic])
            }
        }
        // Opened after the schema exists; read-only, so nothing but `pool` ever writes. The
        // schema never changes while the relay runs, so this connection needs no schema checks.
        var readOnly = Configuration()
        readOnly.label = "referees-lookups"
        readOnly.readonly = true
        readOnly.busyMode = .timeout(10)
        self.lookups = try DatabaseQueue(path: path, configuration: readOnly)
        self.pool = pool
    }

    /// Discards the whole copy (it belongs to another incarnation of the topic).
    func reset() async throws {
        try await self.pool.write { db in
            try db.execute(sql: "DELETE FROM referees; DELETE FROM positions; DELETE FROM progress;")
            self.recent.withLock { $0.removeAll() }
        }
    }

    /// What one transaction applies: rows, progress records believed, and the next offset to
    /// read of each partition of the topic.
    struct Batch: Sendable {
        var rows: [Row] = []
        var progress: [RefereeProgress] = []
        var positions: [Int32: Int64] = [:]
    }

    /// Applies rows and progress read from the topic, and records the next offset to read of
    /// each partition, in one transaction.
    func apply(
        rows: [Row], progress: [RefereeProgress] = [], positions: [Int32: Int64] = [:]
    ) async throws {
        let batch = Batch(rows: rows, progress: progress, positions: positions)
        _ = try await self.apply { (batch, ()) }
    }

    /// Applies the batch `take` hands over, in one transaction, calling `take` just before it on
    /// the copy's one writer, so batches are taken in the order their transactions commit.
    ///
    /// Why: the store's reader flushes from two tasks (its timer, and its loop when 1,000 rows
    /// wait). Taken before the write, a later flush's positions could commit before an earlier
    /// flush's rows, and a process killed between the two restarted past rows it never applied:
    /// accounts missing from the copy for good, their milestones skipped as not referred.
    ///
    /// A transaction that does not commit (cancelled at shutdown, a disk error, a failed commit)
    /// hands its batch to `giveBack`, on the same writer before any later take: taken and then
    /// lost, its rows would be passed by the next flush's positions. Not through a transaction
    /// observer: GRDB does not tell observers of a rollback SQLite made by itself (an interrupt
    /// in the middle of a statement, some I/O errors), while a thrown `inTransaction` always
    /// means nothing was committed.
    ///
    /// - Returns: What `take` returned beside the batch.
    func apply<Taken: Sendable>(
        taking take: @escaping @Sendable () -> (Batch, Taken),
        givingBack giveBack: @escaping @Sendable (Batch, Taken) -> Void = { _, _ in }
    ) async throws -> Taken {
        try await self.pool.writeWithoutTransaction { db in
            let (batch, taken) = take()
            var changed: [Row] = []
            do {
                try db.inTransaction {
                    changed = try self.write(batch, db)
                    return .commit
                }
            } catch {
                giveBack(batch, taken)
                throw error
            }
            // Committed, in the writer's order (the copy has one writer): a lookup never answers
            // a row that is rolled back. A held row leaves once it is in the copy (or the copy
            // kept a later one), after the recent rows took it.
            if !changed.isEmpty {
                self.recent.withLock { recent in for row in changed { recent.applied(row) } }
            }
            if !batch.rows.isEmpty {
                self.held.withLock { held in
                    for row in batch.rows {
                        guard let current = held[row.record.accountID], current.partition == row.partition,
                            current.offset <= row.offset
                        else { continue }
                        held[row.record.accountID] = nil
                    }
                }
            }
            return taken
        }
    }

    /// Writes `batch` in the transaction under way.
    ///
    /// - Returns: The rows that changed the copy (a row from an earlier offset of its account's
    ///   partition changes nothing).
    private func write(_ batch: Batch, _ db: Database) throws -> [Row] {
        let (rows, progress, positions) = (batch.rows, batch.progress, batch.positions)
        // Into the filter first: a lookup between the two must not be told "certainly not".
        if !rows.isEmpty {
            self.filter.withLock { filter in for row in rows { filter.insert(row.record.accountID) } }
        }
        // Another connection committed since this one last did: another process writes this
        // file (a tool given the relay's directory, which the runbook says not to do). Its rows
        // may be newer than the recent ones, which are then dropped, at the latest by this
        // transaction. (The read-only lookups connection never commits.)
        let version = try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version"))
        self.recent.withLock { if $0.noteDataVersion(version) { $0.removeAll() } }
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO referees (account_id, mmref, server_id, registration, updated_ms, partition, offset)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (account_id) DO UPDATE SET
                    mmref = excluded.mmref, server_id = excluded.server_id,
                    registration = excluded.registration, updated_ms = excluded.updated_ms,
                    partition = excluded.partition, offset = excluded.offset
                WHERE excluded.partition != referees.partition OR excluded.offset > referees.offset
                """)
        var changed: [Row] = []
        for row in rows {
            try upsert.execute(arguments: [
                row.record.accountID, row.record.mmref, row.record.serverID, row.record.registration.rawValue,
                row.record.updatedAtMilliseconds, row.partition, row.offset,
            ])
            // 0 when the upsert kept a row from a later offset: the copy's row stands.
            if db.changesCount > 0 { changed.append(row) }
        }
        let advance = try db.cachedStatement(
            sql: """
                INSERT INTO progress (topic, partition, through_ms) VALUES (?, ?, ?)
                ON CONFLICT (topic, partition) DO UPDATE SET through_ms = max(through_ms, excluded.through_ms)
                """)
        for marker in progress {
            try advance.execute(arguments: [marker.topic, marker.partition, marker.throughMilliseconds])
        }
        let position = try db.cachedStatement(
            sql: """
                INSERT INTO positions (partition, next_offset) VALUES (?, ?)
                ON CONFLICT (partition) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)
                """)
        for (partition, next) in positions {
            try position.execute(arguments: [partition, next])
        }
        return changed
    }

    /// The record of `accountID`, if the store knows the account.
    ///
    /// Synchronous, on the caller's thread: a point read of a primary key takes microseconds,
    /// while the asynchronous read's hops through GRDB's dispatch queues waited 23 ms on
    /// average at full speed on 2 cores (threads competing with the cooperative pool), more
    /// than the rest of a milestone's work together.
    func lookup(_ accountID: String) throws -> RefereeRecord? {
        guard self.mayContain(accountID) else { return nil }
        // Held first: a commit takes a row into the recent ones before it lets the held one go,
        // so a row not held any more is in the recent rows or in SQLite. (Read the other way
        // round, a commit between the two reads answered the account's previous row.)
        let held = self.held.withLock { $0[accountID] }
        let recent = self.recent.withLock { $0.row(accountID) }
        if let held {
            // A later row of the account applied meanwhile (another instance's, read from the
            // topic) is the copy's answer; the held one is refused when it is applied.
            if let recent, recent.partition == held.partition, recent.offset > held.offset { return recent.record }
            return held.record
        }
        if let recent { return recent.record }
        return try self.storedRecord(accountID)
    }

    /// Holds `row`, one of this instance's own writes that the broker acknowledged, for lookups
    /// until a transaction applies it (``apply(taking:givingBack:)`` of a batch that carries
    /// it). The caller hands it to that batch: it must, or the row is held for good.
    ///
    /// Why: a write used to be applied in a transaction of its own before the `registered`
    /// that made it settled (read your writes), about one transaction per row at full speed,
    /// with a hop to the copy's writer thread and back. Now it joins the reader's next flush.
    func hold(_ row: Row) {
        let accountID = row.record.accountID
        // Into the filter first: a lookup must not be told "certainly not".
        self.filter.withLock { $0.insert(accountID) }
        self.held.withLock { held in
            // Keys are written one at a time (`KeyedTurns`), so a later write has a later
            // offset; a held row is only replaced by a later one of its partition.
            if let current = held[accountID], current.partition == row.partition, current.offset > row.offset {
                return
            }
            held[accountID] = row
        }
    }

    /// How many own writes are held (for tests).
    var heldCount: Int { self.held.withLock { $0.count } }

    /// The record of `accountID` as SQLite holds it (``lookup(_:)`` without the filter and the
    /// recent rows).
    func storedRecord(_ accountID: String) throws -> RefereeRecord? {
        // One SELECT is atomic on its own (SQLite wraps it in an implicit read transaction), so
        // no explicit transaction; and the statement is prepared once per connection. Both showed
        // in profiles of a backlog of milestones: compiling the SQL (GRDB's authorizer) and
        // BEGIN/COMMIT cost more than the lookup itself.
        return try self.lookups.unsafeRead { db -> RefereeRecord? in
            let statement = try db.cachedStatement(
                sql: "SELECT mmref, server_id, registration, updated_ms FROM referees WHERE account_id = ?")
            guard let row = try GRDB.Row.fetchOne(statement, arguments: [accountID]) else { return nil }
            let registration = RefereeRecord.Registration(rawValue: row["registration"]) ?? .pending
            return RefereeRecord(
                accountID: accountID, mmref: row["mmref"], serverID: row["server_id"], registration: registration,
                updatedAtMilliseconds: row["updated_ms"])
        }
    }

    /// Whether `accountID` may be in the copy (`false`: it certainly is not).
    func mayContain(_ accountID: String) -> Bool { self.filter.withLock { $0.mayContain(accountID) } }

    /// Sizes the account filter for `capacity` accounts and fills it with the copy's accounts.
    /// Accounts applied meanwhile are added to the new filter too.
    ///
    /// - Returns: The filter's size in bytes.
    func loadFilter(capacity: Int) async throws -> Int {
        let filled = try await self.pool.read { db -> AccountFilter in
            var fresh = AccountFilter(capacity: capacity)
            let ids = try String.fetchCursor(db, sql: "SELECT account_id FROM referees")
            while let id = try ids.next() { fresh.insert(id) }
            return fresh
        }
        // Called before the store follows its topic, so nothing is applied concurrently.
        return self.filter.withLock { filter in
            filter = filled
            return filter.bytes
        }
    }

    /// The next offset to read of each partition applied so far.
    func positions() throws -> [Int32: Int64] {
        try self.pool.read { db in
            var positions: [Int32: Int64] = [:]
            for row in try GRDB.Row.fetchAll(db, sql: "SELECT partition, next_offset FROM positions") {
                positions[row["partition"]] = row["next_offset"]
            }
            return positions
        }
    }

    /// How far each partition of `topic` has been written to the store (Unix milliseconds).
    func progress(of topic: String) throws -> [Int32: Int64] {
        try self.pool.read { db in
            var progress: [Int32: Int64] = [:]
            for row in try GRDB.Row.fetchAll(
                db, sql: "SELECT partition, through_ms FROM progress WHERE topic = ?", arguments: [topic])
            {
                progress[row["partition"]] = row["through_ms"]
            }
            return progress
        }
    }

    /// Accounts stored.
    func count() async throws -> Int {
        try await self.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM referees") ?? 0 }
    }
}
