import Foundation

/// Wall-clock time in the units the broker uses, for latencies between this process, the relay
/// and record timestamps (all on one machine, one clock).
enum WallClock {
    /// Microseconds since the Unix epoch.
    static func microseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// Milliseconds since the Unix epoch.
    static func milliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
