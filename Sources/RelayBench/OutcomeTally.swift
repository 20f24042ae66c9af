import Foundation
import Relay

/// What a relay's outcomes say: counts by status, distinct events, the first and last
/// `completed_at`, whether they say `replay: true`, and, for latency, arrival minus the input
/// record's timestamp.
struct OutcomeTally: Sendable {
    /// Outcome records read (duplicates included).
    var records = 0
    /// Records that did not decode as referral-outcome/v1.
    var undecodable = 0
    /// Records by `status`.
    var byStatus: [String: Int] = [:]
    /// Distinct `server_event_id`s.
    var distinctEvents = 0
    /// The earliest `completed_at`.
    var firstCompleted: Date?
    /// The latest `completed_at`.
    var lastCompleted: Date?
    /// Per record: arrival (µs since the epoch) minus the input record's timestamp (ms), in µs.
    var latenciesMicroseconds: [Int64] = []
    /// Records that say `replay: true` (a backfill's outcomes).
    var replays = 0
    /// Per record: `completed_at`, milliseconds since the epoch, in arrival order.
    var completedMilliseconds: [Int64] = []

    /// Decodes every arrival.
    init(_ arrivals: [TopicReader.Arrival]) {
        let decoder = JSONDecoder()
        var ids = Set<String>()
        for arrival in arrivals {
            self.records += 1
            guard let outcome = try? decoder.decode(OutcomeRecord.self, from: Data(arrival.message.value)) else {
                self.undecodable += 1
                continue
            }
            self.byStatus[outcome.status.rawValue, default: 0] += 1
            if outcome.replay { self.replays += 1 }
            self.completedMilliseconds.append(Int64((outcome.completedAt.timeIntervalSince1970 * 1000).rounded()))
            ids.insert(outcome.serverEventID)
            if self.firstCompleted.map({ outcome.completedAt < $0 }) ?? true {
                self.firstCompleted = outcome.completedAt
            }
            if self.lastCompleted.map({ outcome.completedAt > $0 }) ?? true { self.lastCompleted = outcome.completedAt }
            if let source = outcome.source.timestampMilliseconds {
                self.latenciesMicroseconds.append(arrival.arrivalMicroseconds - source * 1000)
            }
        }
        self.distinctEvents = ids.count
    }

    /// Seconds between the first and the last `completed_at`.
    var completionSpan: Double {
        guard let first = self.firstCompleted, let last = self.lastCompleted else { return 0 }
        return last.timeIntervalSince(first)
    }

    /// Events per second between the first and the last outcome (`completed_at`).
    var rate: Double {
        self.completionSpan > 0 ? Double(self.distinctEvents) / self.completionSpan : 0
    }

    /// The longest time between two consecutive `completed_at`s: how long, after how many
    /// outcomes, and how far into the run (seconds after the first); `nil` for fewer than two.
    var largestCompletionGap: (milliseconds: Int64, afterOutcomes: Int, atSeconds: Double)? {
        let sorted = self.completedMilliseconds.sorted()
        guard let first = sorted.first, sorted.count >= 2 else { return nil }
        var largest: (milliseconds: Int64, afterOutcomes: Int, atSeconds: Double)?
        for index in 1..<sorted.count where sorted[index] - sorted[index - 1] > (largest?.milliseconds ?? -1) {
            largest = (sorted[index] - sorted[index - 1], index, Double(sorted[index - 1] - first) / 1000)
        }
        return largest
    }

    /// Outcomes per second in each fifth of the outcomes by `completed_at` (the first fifth of
    /// the outcomes, the second, ...): whether a long run held its rate or slowed as it went.
    /// Counts outcome records (a duplicate counts), where ``rate`` counts distinct events; 0 for
    /// a fifth whose outcomes share one millisecond; empty for fewer than ten outcomes.
    var rateByFifth: [Double] {
        let sorted = self.completedMilliseconds.sorted()
        guard sorted.count >= 10 else { return [] }
        return (0..<5).map { fifth in
            let start = sorted.count * fifth / 5
            let end = sorted.count * (fifth + 1) / 5
            // From the last outcome before the fifth (its first one, for the first fifth) to its
            // last: the fifths together span the whole run, as the run's own rate does.
            let from = sorted[max(0, start - 1)]
            let span = Double(sorted[end - 1] - from) / 1000
            let counted = fifth == 0 ? end - start - 1 : end - start
            return span > 0 ? Double(counted) / span : 0
        }
    }

    /// Checks one outcome per event, each with a status in `allowed`.
    ///
    /// - Throws: ``BenchError`` naming what is missing or unexpected.
    func verify(expected: Int, allowed: Set<String>) throws {
        if self.undecodable > 0 { throw BenchError("\(self.undecodable) outcome records did not decode") }
        if self.distinctEvents != expected {
            throw BenchError("\(expected - self.distinctEvents) of \(expected) events have no outcome")
        }
        let unexpected = self.byStatus.filter { !allowed.contains($0.key) }
        if !unexpected.isEmpty {
            throw BenchError("unexpected outcome statuses: \(unexpected.sorted { $0.key < $1.key })")
        }
    }
}
