import ReferralSandbox

/// Watches the run while the relay works: a progress line every half second, the late
/// account-created record at the right moment, and the decision to stop waiting (everything
/// arrived, the relay stopped on its own, or the timeout passed).
struct DemoWatch {
    /// How the wait ended.
    struct Result {
        /// Why it ended badly, or `nil` when everything expected arrived.
        var problem: String?
    }

    /// The plan.
    var plan: DemoPlan
    /// The scenario.
    var scenario: DemoScenario
    /// The outcome and DLQ reader.
    var observer: DemoObserver
    /// The running relay.
    var relay: DemoRelay
    /// The sandbox.
    var sandbox: SandboxServer
    /// The producer of the late record.
    var seeder: DemoSeeder
    /// How long to wait for everything.
    var timeout: Duration

    /// A late record goes out at the latest this long after the relay started, even if its
    /// milestone's 422 was not seen yet.
    private static let latestLateRecord: Duration = .seconds(8)

    /// Watches until done; never throws (a failure becomes ``Result/problem``).
    func run() async -> Result {
        let start = ContinuousClock.now
        var lastLine = start - .seconds(1)
        var lateProduced = self.plan.late.isEmpty
        var opsShown = false
        let expectedIDs = Set(self.plan.expectations.outcomes.keys)
        let expectedLetters = self.plan.expectations.deadLetters.count
        // Requests made before the relay started (the rival's registration).
        let baseline = self.sandbox.store.stats.requests
        while true {
            let now = ContinuousClock.now
            let elapsed = now - start
            let snapshot = self.observer.snapshot
            let status = self.relay.status
            if !opsShown, let port = status.opsPort {
                DemoConsole.line("  relay ops server on http://127.0.0.1:\(port) (/healthz, /readyz, /metrics)")
                opsShown = true
            }
            if !lateProduced, let problem = await self.produceLateIfDue(elapsed: elapsed, produced: &lateProduced) {
                return Result(problem: problem)
            }
            let outcomes = Set(snapshot.outcomes.compactMap(\.outcome?.serverEventID)).intersection(expectedIDs).count
            let letters = snapshot.deadLetters.count
            // The skipped records too: a milestone of a player who was not referred waits for the
            // referee store's progress (seconds) and settles after the last outcome; stopped
            // before, it is left uncommitted.
            let done =
                lateProduced && outcomes == expectedIDs.count && letters >= expectedLetters
                && self.relay.skipped >= self.plan.skipped
            if done || now - lastLine >= .milliseconds(500) {
                DemoConsole.progress(
                    self.progressLine(
                        elapsed: elapsed, snapshot: snapshot, outcomes: outcomes, expectedOutcomes: expectedIDs.count,
                        expectedLetters: expectedLetters, baseline: baseline))
                lastLine = now
            }
            if done {
                DemoConsole.line(
                    "▸ everything arrived     \(outcomes) outcomes and \(letters) dead letters "
                        + "in \(DemoConsole.seconds(elapsed)) after the relay started")
                return Result(problem: nil)
            }
            if status.finished {
                return Result(problem: "the relay stopped on its own: \(status.failure ?? "run() returned")")
            }
            if let failure = snapshot.failure {
                return Result(problem: "reading the outcome topic failed: \(failure)")
            }
            if elapsed >= self.timeout {
                return Result(
                    problem:
                        "timed out after \(DemoConsole.seconds(self.timeout)) with \(outcomes)/\(expectedIDs.count) "
                        + "outcomes and \(letters)/\(expectedLetters) dead letters")
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Produces the late account-created once its milestone was answered 422 (the relay got
    /// the `qualified` before any `registered`), or after ``latestLateRecord`` at the latest.
    private func produceLateIfDue(elapsed: Duration, produced: inout Bool) async -> String? {
        guard let account = self.scenario.account(.milestoneFirst), let token = account.token else {
            produced = true
            return nil
        }
        let answered422 = self.sandbox.store.log.contains {
            $0.verdict == .invalidTransition && $0.body.contains(token)
        }
        guard answered422 || elapsed >= Self.latestLateRecord else { return nil }
        do {
            try await self.seeder.produce(self.plan.late)
        } catch {
            return "producing the late account-created record failed: \(error)"
        }
        produced = true
        DemoConsole.line(
            "▸ late account-created   \(account.id) produced now, "
                + (answered422
                    ? "after its \(DemoScenario.qualifyingMilestone) was answered 422 (not registered yet); the relay keeps retrying it"
                    : "\(DemoConsole.seconds(elapsed)) after the relay started, after its \(DemoScenario.qualifyingMilestone)")
        )
        return nil
    }

    private func progressLine(
        elapsed: Duration,
        snapshot: DemoObserver.Snapshot,
        outcomes: Int,
        expectedOutcomes: Int,
        expectedLetters: Int,
        baseline: Int
    ) -> String {
        let stats = self.sandbox.store.stats
        let time = "  \(DemoConsole.right(DemoConsole.seconds(elapsed), 6))  "
        if stats.requests == baseline && snapshot.outcomes.isEmpty && snapshot.deadLetters.isEmpty {
            // The embedded broker holds a new group's first join for 3 s, waiting for more members.
            return time + "the relay is joining its consumer group…"
        }
        let faults =
            (stats.byVerdict[SandboxVerdict.faultFailure.rawValue] ?? 0)
            + (stats.byVerdict[SandboxVerdict.faultDrop.rawValue] ?? 0)
        let early = stats.byVerdict[SandboxVerdict.invalidTransition.rawValue] ?? 0
        let retries = snapshot.outcomes.compactMap(\.outcome).reduce(0) { $0 + max(0, $1.attempts - 1) }
        return time + "outcomes \(outcomes)/\(expectedOutcomes)"
            + " · dead letters \(snapshot.deadLetters.count)/\(expectedLetters)"
            + " · sandbox \(stats.requests) requests (\(faults) faults injected, \(early)× 422)"
            + " · retries \(retries)"
    }
}
