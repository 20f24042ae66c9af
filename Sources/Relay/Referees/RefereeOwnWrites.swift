/// The referee topic offsets this instance wrote and queued for its local copy's next flush
/// before its own reading of the topic came to them.
///
/// Every record the relay writes comes back through the store's reading of the topic, which
/// decoded it and applied it to SQLite a second time: the same row, which the upsert then left
/// unchanged (it keeps the newest offset). Skipping them halves the store's SQLite writes and
/// saves a JSON decode per `registered`. A position is remembered in the same critical section
/// that queues its row, and a flush takes rows and positions together on the copy's writer,
/// just before its transaction (a batch that does not commit is given back), so a skipped
/// offset is always in the local copy by the time a saved position passes it.
struct RefereeOwnWrites: Sendable {
    /// Where one record sits in the topic.
    struct Position: Hashable, Sendable {
        var partition: Int32
        var offset: Int64
    }

    /// The most positions remembered: a reader that has stopped (or lags far behind) must not
    /// make this grow without bound. Past it, records are decoded and applied again, as before.
    let limit: Int
    private var positions: Set<Position> = []

    /// Creates an empty set remembering at most `limit` positions.
    init(limit: Int = 65_536) {
        self.limit = limit
    }

    /// How many positions are remembered.
    var count: Int { self.positions.count }

    /// Remembers a record this instance wrote at `offset` of `partition` and queued.
    mutating func queued(partition: Int32, offset: Int64) {
        guard self.positions.count < self.limit else { return }
        self.positions.insert(Position(partition: partition, offset: offset))
    }

    /// Whether the record read at `offset` of `partition` is one already queued (forgotten at
    /// once: each offset is read once per assignment).
    mutating func takeQueued(partition: Int32, offset: Int64) -> Bool {
        self.positions.remove(Position(partition: partition, offset: offset)) != nil
    }
}
