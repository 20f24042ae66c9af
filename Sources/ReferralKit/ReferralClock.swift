import Foundation

/// The source of the signing time `t` (unix seconds), injected so tests can sign with a stale or
/// future timestamp and the sandbox can judge the replay window against a fixed clock.
public struct ReferralClock: Sendable {
    private let read: @Sendable () -> Int64

    /// Creates a clock from a function returning unix seconds.
    ///
    /// - Parameter now: Returns the current unix time in seconds.
    public init(_ now: @escaping @Sendable () -> Int64) {
        self.read = now
    }

    /// The current unix time in seconds.
    public func now() -> Int64 { self.read() }

    /// The wall clock.
    public static let system = ReferralClock { Int64(Date().timeIntervalSince1970.rounded(.down)) }

    /// A clock that always reads `seconds`.
    ///
    /// - Parameter seconds: The unix time to return.
    public static func fixed(_ seconds: Int64) -> ReferralClock { ReferralClock { seconds } }

    /// The wall clock shifted by `offset` seconds (negative = behind).
    ///
    /// - Parameter offset: Seconds added to the system time.
    public static func skewed(by offset: Int64) -> ReferralClock {
        ReferralClock { ReferralClock.system.now() + offset }
    }
}
