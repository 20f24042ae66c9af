/// One verdict of the demo: what was checked, whether it held, and what was wrong if not.
struct DemoCheck: Sendable {
    /// What was checked, phrased as the claim that holds when it passes.
    var claim: String
    /// Whether it held.
    var passed: Bool
    /// What was wrong, one line each (empty when it passed).
    var problems: [String]

    /// A check that passes exactly when `problems` is empty.
    init(_ claim: String, problems: [String]) {
        self.claim = claim
        self.passed = problems.isEmpty
        self.problems = problems
    }
}
