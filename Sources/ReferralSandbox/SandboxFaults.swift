/// Faults the sandbox injects into `POST /api/referral/events`, settable at start-up or at run
/// time over `PUT /_sandbox/faults`.
///
/// The "first N" counters are consumed in order drop → throttle → fail and restart whenever faults
/// are set; the rates are then rolled in the same order with the sandbox's seeded generator.
/// Before all of them, ``maxConcurrent`` sheds what arrives while too many requests are in flight.
/// A faulted request is logged but never reaches the referral state.
public struct SandboxFaults: Sendable, Hashable, Codable {
    /// Fraction (0...1) of requests answered with ``failStatus``.
    public var failRate: Double
    /// The next N requests are answered with ``failStatus``.
    public var failFirst: Int
    /// The status of an injected failure (5xx).
    public var failStatus: Int
    /// Added latency before every answer, in milliseconds.
    public var latencyMilliseconds: Int
    /// Fraction (0...1) of requests whose connection is closed without any response.
    public var dropRate: Double
    /// The next N requests have their connection closed without any response.
    public var dropFirst: Int
    /// Fraction (0...1) of requests answered with ``throttleStatus`` and ``retryAfter``.
    public var throttleRate: Double
    /// The next N requests are answered with ``throttleStatus`` and ``retryAfter``.
    public var throttleFirst: Int
    /// The status of a throttled answer (429 or 503).
    public var throttleStatus: Int
    /// The `Retry-After` value sent with a throttled answer (seconds or an HTTP-date); none if `nil`.
    public var retryAfter: String?
    /// The exact body of an injected failure instead of `{"error":"injected failure"}`; one that
    /// starts with `<` is sent as `text/html` (what a proxy in front of MMOLove answers).
    public var failBody: String?
    /// When set, only requests for these `server_id`s are faulted (one failing server among
    /// several); the others are answered normally and consume no counter.
    public var servers: [String]?
    /// When set, a request that arrives while more than this many are in flight (itself included)
    /// is answered ``throttleStatus`` at once, with ``retryAfter`` if set and without the added
    /// latency: a server that sheds what it cannot take. Use it with a latency, so requests stay
    /// in flight long enough to overlap.
    public var maxConcurrent: Int?

    /// Creates a fault setting; the default injects nothing.
    public init(
        failRate: Double = 0,
        failFirst: Int = 0,
        failStatus: Int = 500,
        latencyMilliseconds: Int = 0,
        dropRate: Double = 0,
        dropFirst: Int = 0,
        throttleRate: Double = 0,
        throttleFirst: Int = 0,
        throttleStatus: Int = 429,
        retryAfter: String? = nil,
        failBody: String? = nil,
        servers: [String]? = nil,
        maxConcurrent: Int? = nil
    ) {
        self.failRate = failRate
        self.failFirst = failFirst
        self.failStatus = failStatus
        self.latencyMilliseconds = latencyMilliseconds
        self.dropRate = dropRate
        self.dropFirst = dropFirst
        self.throttleRate = throttleRate
        self.throttleFirst = throttleFirst
        self.throttleStatus = throttleStatus
        self.retryAfter = retryAfter
        self.failBody = failBody
        self.servers = servers
        self.maxConcurrent = maxConcurrent
    }

    /// No faults.
    public static let none = SandboxFaults()

    private enum CodingKeys: String, CodingKey {
        case failRate = "fail_rate"
        case failFirst = "fail_first"
        case failStatus = "fail_status"
        case latencyMilliseconds = "latency_ms"
        case dropRate = "drop_rate"
        case dropFirst = "drop_first"
        case throttleRate = "throttle_rate"
        case throttleFirst = "throttle_first"
        case throttleStatus = "throttle_status"
        case retryAfter = "retry_after"
        case failBody = "fail_body"
        case servers
        case maxConcurrent = "max_concurrent"
    }

    /// Decodes a partial setting: absent keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = SandboxFaults()
        self.failRate = try container.decodeIfPresent(Double.self, forKey: .failRate) ?? defaults.failRate
        self.failFirst = try container.decodeIfPresent(Int.self, forKey: .failFirst) ?? defaults.failFirst
        self.failStatus = try container.decodeIfPresent(Int.self, forKey: .failStatus) ?? defaults.failStatus
        self.latencyMilliseconds =
            try container.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? defaults.latencyMilliseconds
        self.dropRate = try container.decodeIfPresent(Double.self, forKey: .dropRate) ?? defaults.dropRate
        self.dropFirst = try container.decodeIfPresent(Int.self, forKey: .dropFirst) ?? defaults.dropFirst
        self.throttleRate = try container.decodeIfPresent(Double.self, forKey: .throttleRate) ?? defaults.throttleRate
        self.throttleFirst =
            try container.decodeIfPresent(Int.self, forKey: .throttleFirst) ?? defaults.throttleFirst
        self.throttleStatus =
            try container.decodeIfPresent(Int.self, forKey: .throttleStatus) ?? defaults.throttleStatus
        self.retryAfter = try container.decodeIfPresent(String.self, forKey: .retryAfter)
        self.failBody = try container.decodeIfPresent(String.self, forKey: .failBody)
        self.servers = try container.decodeIfPresent([String].self, forKey: .servers)
        self.maxConcurrent = try container.decodeIfPresent(Int.self, forKey: .maxConcurrent)
    }

    /// Checks ranges: rates in 0...1, counts and latency non-negative, statuses 100...599,
    /// `max_concurrent` at least 1.
    ///
    /// - Throws: ``SandboxError`` naming the offending key.
    public func validate() throws(SandboxError) {
        for (key, rate) in [
            ("fail_rate", self.failRate), ("drop_rate", self.dropRate), ("throttle_rate", self.throttleRate),
        ]
        where !(0...1).contains(rate) {
            throw SandboxError(.invalidConfiguration, reason: "\(key) must be within 0...1")
        }
        for (key, count) in [
            ("fail_first", self.failFirst), ("drop_first", self.dropFirst), ("throttle_first", self.throttleFirst),
            ("latency_ms", self.latencyMilliseconds),
        ] where count < 0 {
            throw SandboxError(.invalidConfiguration, reason: "\(key) must not be negative")
        }
        if let maxConcurrent = self.maxConcurrent, maxConcurrent < 1 {
            throw SandboxError(.invalidConfiguration, reason: "max_concurrent must be at least 1")
        }
        for (key, status) in [("fail_status", self.failStatus), ("throttle_status", self.throttleStatus)]
        where !(100...599).contains(status) {
            throw SandboxError(.invalidConfiguration, reason: "\(key) must be an HTTP status")
        }
    }
}
