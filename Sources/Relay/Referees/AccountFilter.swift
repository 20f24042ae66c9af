/// A Bloom filter of the account ids in the referee store's local copy: answers "certainly
/// not in the store" without reading SQLite. A value type, tested with plain values.
///
/// Most players are not referred, so most milestones ask the store about an account it does
/// not hold. Asked of SQLite, each such question cost a hop to GRDB's reader queue and back, and
/// a backlog of such milestones ran at a sixth of the consumer's speed. A "maybe" (a real
/// account, or a false positive, about 0.1% at the sized load) is answered by SQLite as before,
/// so the filter changes costs, never answers: an account is added *before* its row is written.
///
/// Sized once, at start, for the accounts the copy holds plus the records left to read (an
/// upper bound on accounts to come while restoring), at least a million: 16 bits per account
/// rounded up to a power of two, so 10,000,000 accounts cost 32 MiB. Past the sized load the
/// false positive rate rises (about 2% at twice it), which costs lookups only; the next start
/// sizes it again.
struct AccountFilter: Sendable {
    private var words: [UInt64]
    private let mask: UInt64
    /// Probes per account.
    private static let probes = 7

    /// A filter sized for `capacity` accounts.
    init(capacity: Int) {
        let bits = max(1 << 24, Self.powerOfTwo(atLeast: max(1, capacity) * 16))
        self.words = Array(repeating: 0, count: bits / 64)
        self.mask = UInt64(bits - 1)
    }

    /// Adds an account.
    mutating func insert(_ accountID: String) {
        var (h1, h2) = Self.hashes(accountID)
        for _ in 0..<Self.probes {
            let bit = h1 & self.mask
            self.words[Int(bit >> 6)] |= 1 << (bit & 63)
            h1 &+= h2
        }
    }

    /// Whether the account may have been added (`false`: it certainly was not).
    func mayContain(_ accountID: String) -> Bool {
        var (h1, h2) = Self.hashes(accountID)
        for _ in 0..<Self.probes {
            let bit = h1 & self.mask
            if self.words[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            h1 &+= h2
        }
        return true
    }

    /// Memory used, in bytes.
    var bytes: Int { self.words.count * 8 }

    /// Two 64-bit FNV-1a hashes with different offsets (double hashing: probe i is h1 + i·h2);
    /// h2 is odd so the probes never repeat within the power-of-two table.
    private static func hashes(_ accountID: String) -> (UInt64, UInt64) {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325
        var h2: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in accountID.utf8 {
            h1 = (h1 ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            h2 = (h2 ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        h2 ^= h2 >> 29
        return (h1 ^ (h1 >> 32), h2 | 1)
    }

    private static func powerOfTwo(atLeast value: Int) -> Int {
        var power = 1
        while power < value { power <<= 1 }
        return power
    }
}
