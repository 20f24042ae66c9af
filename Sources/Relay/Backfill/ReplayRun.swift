/// A backfill as the pipeline sees it: the window, its offsets, and how fast to go. With one,
/// ``RelayPipeline`` assigns the plan's partitions itself (no group membership), reads them in
/// timestamp order, marks every outcome `replay: true` and every dead letter with the run's
/// name, and ends once every record of the window is settled.
public struct ReplayRun: Sendable {
    /// The time window and the run name.
    public var window: BackfillWindow
    /// The offsets of the window.
    public var plan: BackfillPlan
    /// Requests to MMOLove per second at most (applied by the deliverer); `nil`: as fast as the
    /// window allows.
    public var rate: Double?
    /// Records buffered per partition by the timestamp merge.
    public var lookahead: Int

    /// Creates a replay run.
    public init(window: BackfillWindow, plan: BackfillPlan, rate: Double? = nil, lookahead: Int = 128) {
        self.window = window
        self.plan = plan
        self.rate = rate
        self.lookahead = lookahead
    }
}
