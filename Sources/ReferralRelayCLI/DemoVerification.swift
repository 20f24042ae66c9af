import Kafka
import ReferralSandbox

/// Judges a finished demo run against its plan: outcomes, dead letters, the sandbox's delivery
/// log, the committed offsets and the relay's shutdown.
struct DemoVerification {
    /// The committed offset and the end of one input partition.
    struct PartitionProgress: Sendable {
        /// The relay group's committed offset (next to read); `nil` when none was committed.
        var committed: Int64?
        /// The high watermark.
        var end: Int64
    }

    /// The plan the run was seeded from.
    var plan: DemoPlan
    /// The scenario (to map tokens back to accounts).
    var scenario: DemoScenario
    /// Where each seed record was written.
    var reports: [DemoSeedRecord: KafkaDeliveryReport]
    /// What the observer read.
    var observed: DemoObserver.Snapshot
    /// The sandbox's delivery log.
    var sandboxLog: [SandboxLogEntry]
    /// Per input partition, the committed offset and the end.
    var offsets: [KafkaTopicPartition: PartitionProgress]
    /// How the relay's `run()` ended: `nil` when it returned, else the error.
    var relayFailure: String?

    /// Every check, in the order they are printed.
    var checks: [DemoCheck] {
        [
            self.outcomesCheck(), self.deadLettersCheck(), self.sandboxCheck(), self.offsetsCheck(),
            DemoCheck(
                "the relay shut down gracefully (drained, committed, left the group)",
                problems: self.relayFailure.map { ["relay run() ended with: \($0)"] } ?? []),
        ]
    }

    /// Every expected outcome arrived once, exactly as expected, and nothing else did.
    func outcomesCheck() -> DemoCheck {
        var problems: [String] = []
        var seen: [String: Int] = [:]
        for received in self.observed.outcomes {
            guard let outcome = received.outcome else {
                problems.append(
                    "an outcome does not match the contract (\(received.decodeError ?? "?")): \(received.raw)")
                continue
            }
            seen[outcome.serverEventID, default: 0] += 1
            guard let expected = self.plan.expectations.outcomes[outcome.serverEventID] else {
                problems.append("unexpected outcome \(outcome.serverEventID): \(outcome.status)")
                continue
            }
            problems += self.differences(outcome, key: received.key, expected: expected)
        }
        for (id, count) in seen.sorted(by: { $0.key < $1.key }) where count > 1 {
            problems.append("\(id): \(count) outcomes, expected exactly one")
        }
        let missing = self.plan.expectations.outcomes.values.filter { seen[$0.serverEventID] == nil }
        for expected in missing.sorted(by: { ($0.accountID, $1.event.rawValue) < ($1.accountID, $0.event.rawValue) }) {
            problems.append("missing outcome \(expected.serverEventID) (expected \(expected.status.rawValue))")
        }
        let count = self.plan.expectations.outcomes.count
        return DemoCheck(
            "every outcome is the expected one: \(count) outcomes, one per server_event_id, reward exactly on an accepted qualified",
            problems: problems)
    }

    private func differences(_ outcome: DemoOutcome, key: String?, expected: DemoExpectations.Outcome) -> [String] {
        let id = outcome.serverEventID
        var problems: [String] = []
        func compare<T: Equatable>(_ name: String, _ got: T?, _ want: T?) {
            if got != want {
                problems.append(
                    "\(id): \(name) is \(got.map { "\($0)" } ?? "absent"), expected \(want.map { "\($0)" } ?? "absent")"
                )
            }
        }
        compare("status", outcome.status, expected.status.rawValue)
        compare("reward", outcome.reward, expected.reward)
        compare("event", outcome.event, expected.event.rawValue)
        compare("account_id", outcome.accountID, expected.accountID)
        compare("key", key, expected.accountID)
        compare("mmref", outcome.mmref, expected.mmref)
        compare("server_id", outcome.serverID, DemoScenario.serverID)
        compare("schema", outcome.schema, "referral-outcome/v1")
        compare("replay", outcome.replay, false)
        if let httpStatus = expected.httpStatus { compare("http_status", outcome.httpStatus, httpStatus) }
        if let report = self.reports[expected.source] {
            let got = "\(outcome.source.topic)[\(outcome.source.partition)]@\(outcome.source.offset)"
            compare("source", got, "\(report.topic)[\(report.partition)]@\(report.offset)")
        }
        return problems
    }

    /// The DLQ holds exactly the malformed record and the rejected events, bytes unchanged.
    func deadLettersCheck() -> DemoCheck {
        var problems: [String] = []
        var expected: [String: DemoExpectations.DeadLetter] = [:]
        for letter in self.plan.expectations.deadLetters {
            guard let report = self.reports[letter.source] else { continue }
            expected["\(report.topic)[\(report.partition)]@\(report.offset)"] = letter
        }
        var seen: Set<String> = []
        for letter in self.observed.deadLetters {
            let place =
                "\(letter.context("topic") ?? "?")[\(letter.context("partition") ?? "?")]@\(letter.context("offset") ?? "?")"
            guard let want = expected[place] else {
                problems.append("unexpected dead letter of \(place) (stage \(letter.context("stage") ?? "?"))")
                continue
            }
            guard seen.insert(place).inserted else {
                problems.append("dead letter of \(place) published more than once")
                continue
            }
            if letter.context("stage") != want.stage.rawValue {
                problems.append(
                    "\(place): stage \(letter.context("stage") ?? "absent"), expected \(want.stage.rawValue)")
            }
            if let status = want.httpStatus, letter.context("http.status") != String(status) {
                problems.append(
                    "\(place): http.status \(letter.context("http.status") ?? "absent"), expected \(status)")
            }
            if letter.key != Array(want.source.key.utf8) || letter.value != Array(want.source.value.utf8) {
                problems.append("\(place): key or value differs from the input record")
            }
        }
        for (place, letter) in expected.sorted(by: { $0.key < $1.key }) where !seen.contains(place) {
            problems.append(
                "missing dead letter of \(place) (key \(letter.source.key), stage \(letter.stage.rawValue))")
        }
        let decode = self.plan.expectations.deadLetters.filter { $0.stage == .decode }.count
        let deliver = self.plan.expectations.deadLetters.count - decode
        return DemoCheck(
            "dead letters: exactly the \(decode) malformed record (decode) and the \(deliver) rejected events (deliver), bytes unchanged",
            problems: problems)
    }

    /// The relay's group committed up to the end of every input partition.
    func offsetsCheck() -> DemoCheck {
        var problems: [String] = []
        for (partition, progress) in self.offsets.sorted(by: { $0.key.description < $1.key.description })
        where progress.committed != progress.end {
            problems.append(
                "\(partition): committed \(progress.committed.map(String.init) ?? "nothing"), end \(progress.end)")
        }
        return DemoCheck(
            "committed offsets reached the end of all \(self.offsets.count) input partitions", problems: problems)
    }
}
