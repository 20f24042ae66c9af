/// The commit metadata that carries the offsets settled beyond a partition's committed offset,
/// so a restart (or the next owner) skips them instead of sending them again.
///
/// A committed offset must stop at the first unsettled record, so a record held for long (a
/// `qualified` waiting for its `registered`, a systemic hold) would make every later, already
/// settled record of its partition be redone after a restart. Kafka stores a metadata string
/// with each committed offset (up to `offset.metadata.max.bytes`, 4096 by default); like
/// Confluent's parallel consumer, the relay writes the settled offsets past the commit there.
///
/// Format: `rr1:` then comma-separated ranges of offsets relative to the committed offset,
/// e.g. committed 100 with 102, 103, 104 and 110 settled → `rr1:2-4,10`. The encoding stops
/// before ``maximumLength``; offsets left out are redone (safe: MMOLove answers `duplicate`).
enum SettledOffsetsMetadata {
    /// The format's prefix (and version).
    static let prefix = "rr1:"
    /// Kept under Kafka's default 4096-byte limit, with room to spare.
    static let maximumLength = 3_000
    /// The most offsets one text describes: encoding stops before more and decoding refuses
    /// more, so a restart never allocates without bound (ten times the ledger's default window).
    static let maximumOffsets: Int64 = 1_000_000

    /// Encodes `offsets` (ascending, all greater than `committed`) relative to `committed`;
    /// `nil` when empty. Stops reading `offsets` once the text is full, so a long window costs
    /// no more than what fits.
    static func encode(committed: Int64, settled offsets: some Sequence<Int64>) -> String? {
        var text = self.prefix
        var range: (first: Int64, last: Int64)?
        /// Appends the pending range; `false` when it no longer fits.
        func flush() -> Bool {
            guard let (first, last) = range else { return true }
            let start = first - committed
            let piece =
                (text.utf8.count > self.prefix.utf8.count ? "," : "")
                + (last > first ? "\(start)-\(last - committed)" : "\(start)")
            // UTF-8 counts: constant time (`count` walks every character, quadratic here) and
            // what Kafka's limit counts.
            guard text.utf8.count + piece.utf8.count <= self.maximumLength else { return false }
            text += piece
            return true
        }
        var described: Int64 = 0
        for offset in offsets where offset > committed {
            guard described < self.maximumOffsets else { break }
            described += 1
            if let current = range, offset == current.last + 1 {
                range = (current.first, offset)
                continue
            }
            guard flush() else { break }
            range = (offset, offset)
        }
        _ = flush()
        return text.utf8.count > self.prefix.utf8.count ? text : nil
    }

    /// Decodes the settled offsets of `metadata` committed with `committed`; anything
    /// unparseable (another tool's metadata) or describing more than ``maximumOffsets`` or
    /// offsets past `Int64.max` yields none.
    static func decode(committed: Int64, metadata: String?) -> Set<Int64> {
        guard let metadata, metadata.hasPrefix(self.prefix) else { return [] }
        var offsets = Set<Int64>()
        var described: Int64 = 0
        for piece in metadata.dropFirst(self.prefix.count).split(separator: ",") {
            let bounds = piece.split(separator: "-", maxSplits: 1).compactMap { Int64($0) }
            guard let first = bounds.first, first > 0, bounds.count == piece.split(separator: "-").count else {
                return []
            }
            let last = bounds.count == 2 ? bounds[1] : first
            // More than an encoding describes is corrupt, not a reason to allocate (or to trap).
            guard last >= first, last - first < self.maximumOffsets - described,
                case (let end, false) = committed.addingReportingOverflow(last)
            else { return [] }
            described += last - first + 1
            for offset in (end - (last - first))...end { offsets.insert(offset) }
        }
        return offsets
    }
}
