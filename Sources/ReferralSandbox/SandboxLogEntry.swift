/// One request in the delivery log: when it arrived, its headers and raw body, and the answer.
public struct SandboxLogEntry: Sendable, Hashable, Codable {
    /// Sequence number, from 1.
    public var sequence: Int
    /// Arrival time, unix seconds with fraction.
    public var time: Double
    /// The request method.
    public var method: String
    /// The request path.
    public var path: String
    /// The request headers in arrival order, as `[name, value]` pairs.
    public var headers: [[String]]
    /// The raw body as received (invalid UTF-8 shown with replacement characters).
    public var body: String
    /// The answered status; 0 for a dropped connection.
    public var status: Int
    /// The verdict.
    public var verdict: SandboxVerdict
    /// The answered body (empty for a dropped connection).
    public var response: String

    private enum CodingKeys: String, CodingKey {
        case sequence, time, method, path, headers, body, status, verdict, response
    }
}
