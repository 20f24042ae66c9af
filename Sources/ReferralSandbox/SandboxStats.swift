/// Counters over everything the sandbox answered.
public struct SandboxStats: Sendable, Hashable, Codable {
    /// Requests to the events endpoint.
    public var requests: Int = 0
    /// Answers by status code (`"0"` = dropped connection).
    public var byStatus: [String: Int] = [:]
    /// Answers by verdict.
    public var byVerdict: [String: Int] = [:]
    /// Events written (advanced, or accepted `reversed`) by event name.
    public var acceptedByEvent: [String: Int] = [:]

    private enum CodingKeys: String, CodingKey {
        case requests
        case byStatus = "by_status"
        case byVerdict = "by_verdict"
        case acceptedByEvent = "accepted_by_event"
    }

    /// Creates empty counters.
    public init() {}

    mutating func count(_ reply: SandboxReply, event: String?) {
        self.requests += 1
        self.byStatus["\(reply.status)", default: 0] += 1
        self.byVerdict[reply.verdict.rawValue, default: 0] += 1
        if let event, reply.verdict == .advanced || reply.verdict == .accepted {
            self.acceptedByEvent[event, default: 0] += 1
        }
    }
}
