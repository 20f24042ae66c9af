import ReferralKit
import Relay

/// Counts of outcomes per (event, status).
enum DemoTally {
    /// One row of the summary table.
    struct Key: Hashable, Sendable, Comparable {
        /// `registered` or `qualified`.
        var event: String
        /// The outcome status.
        var status: String

        init(event: ReferralEvent.Kind, status: OutcomeStatus) {
            self.event = event.rawValue
            self.status = status.rawValue
        }

        init(event: String, status: String) {
            self.event = event
            self.status = status
        }

        static func < (lhs: Key, rhs: Key) -> Bool {
            func rank(_ key: Key) -> (Int, Int, String) {
                let events = ReferralEvent.Kind.allCases.map(\.rawValue)
                let statuses = OutcomeStatus.allCases.map(\.rawValue)
                return (
                    events.firstIndex(of: key.event) ?? events.count,
                    statuses.firstIndex(of: key.status) ?? statuses.count, key.status
                )
            }
            return rank(lhs) < rank(rhs)
        }
    }
}

/// Prints the end of the demo: the outcome table (event × status, expected vs got), the story
/// of each special account, and the checks.
struct DemoSummary {
    /// The plan.
    var plan: DemoPlan
    /// The scenario.
    var scenario: DemoScenario
    /// What arrived.
    var observed: DemoObserver.Snapshot
    /// The verdicts.
    var checks: [DemoCheck]

    /// Writes it all to stdout.
    func print() {
        self.printTable()
        self.printStories()
        DemoConsole.line()
        for check in self.checks {
            DemoConsole.line("  \(Self.mark(check.passed)) \(check.claim)")
            for problem in check.problems.prefix(12) { DemoConsole.line("      \(problem)") }
            if check.problems.count > 12 { DemoConsole.line("      … and \(check.problems.count - 12) more") }
        }
    }

    private static func mark(_ passed: Bool) -> String { passed ? "✓" : "✗" }

    private func printTable() {
        let expected = self.plan.expectations.countsByEventAndStatus
        var got: [DemoTally.Key: Int] = [:]
        for outcome in self.observed.outcomes.compactMap(\.outcome) {
            got[DemoTally.Key(event: outcome.event, status: outcome.status), default: 0] += 1
        }
        var rows: [(String, String, Int, Int)] = Set(expected.keys).union(got.keys).sorted().map {
            ($0.event, $0.status, expected[$0] ?? 0, got[$0] ?? 0)
        }
        for stage in DeadLetterStage.allCases {
            let want = self.plan.expectations.deadLetters.filter { $0.stage == stage }.count
            let have = self.observed.deadLetters.filter { $0.context("stage") == stage.rawValue }.count
            if want > 0 || have > 0 { rows.append(("dead letter", stage.rawValue, want, have)) }
        }
        DemoConsole.line()
        DemoConsole.line("  \(DemoConsole.pad("event", 13))\(DemoConsole.pad("status", 22))expected   got")
        for (event, status, want, have) in rows {
            DemoConsole.line(
                "  \(DemoConsole.pad(event, 13))\(DemoConsole.pad(status, 22))"
                    + "\(DemoConsole.right(String(want), 8))\(DemoConsole.right(String(have), 6))  \(Self.mark(want == have))"
            )
        }
        DemoConsole.line(
            "  and \(self.plan.skipped) input records skipped (not referred, or a milestone that does not qualify): "
                + "no outcome")
    }

    private func printStories() {
        DemoConsole.line()
        let specials: [DemoScenario.Role] = [.milestoneFirst, .firstTouchRace, .unknownToken]
        for role in specials {
            guard let account = self.scenario.account(role) else { continue }
            let want = self.plan.expectations.outcomes.values.filter { $0.accountID == account.id }
                .sorted { $0.event.rawValue > $1.event.rawValue }
                .map { "\($0.event.rawValue) \($0.status.rawValue)" }
            let have = self.observed.outcomes.compactMap(\.outcome).filter { $0.accountID == account.id }
                .sorted { $0.event > $1.event }
                .map { "\($0.event) \($0.status)" }
            let story = want.joined(separator: ", ")
            DemoConsole.line(
                "  \(Self.mark(want == have)) \(account.id)  \(DemoConsole.pad(role.rawValue, 38))"
                    + (want == have
                        ? story : "expected \(story); got \(have.isEmpty ? "nothing" : have.joined(separator: ", "))"))
        }
        let decode = self.observed.deadLetters.contains {
            $0.context("stage") == "decode" && $0.key == Array(self.scenario.malformedKey.utf8)
        }
        DemoConsole.line(
            "  \(Self.mark(decode)) \(self.scenario.malformedKey)  \(DemoConsole.pad("malformed record (JSON cut short)", 38))"
                + (decode ? "dead letter, stage decode" : "expected a dead letter (stage decode); none arrived"))
    }
}
