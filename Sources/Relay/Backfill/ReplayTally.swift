import ReferralKit
import Synchronization

/// What a backfill did, counted as it happens: outcomes by event and status, records skipped
/// by reason, dead letters of malformed records. Read for progress lines and the final summary.
public final class ReplayTally: Sendable {
    /// A snapshot of the counts.
    public struct Counts: Sendable, Hashable {
        /// Outcomes published, by event (`registered`, `qualified`) and status.
        public var outcomes: [String: [String: Int]] = [:]
        /// Records that are not referrals, by reason.
        public var skipped: [String: Int] = [:]
        /// Records dead-lettered at decode (malformed).
        public var malformed = 0
        /// Records settled by an earlier run of the same name (resumed).
        public var settledEarlier = 0

        /// Outcomes published in all.
        public var events: Int { self.outcomes.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
    }

    private let counts = Mutex(Counts())

    /// Creates empty counts.
    public init() {}

    /// The counts now.
    public var snapshot: Counts { self.counts.withLock { $0 } }

    func outcome(event: ReferralEvent.Kind, status: OutcomeStatus) {
        self.counts.withLock { $0.outcomes[event.rawValue, default: [:]][status.rawValue, default: 0] += 1 }
    }

    func skipped(reason: String) {
        self.counts.withLock { $0.skipped[reason, default: 0] += 1 }
    }

    func malformed() {
        self.counts.withLock { $0.malformed += 1 }
    }

    func settledEarlier() {
        self.counts.withLock { $0.settledEarlier += 1 }
    }
}
