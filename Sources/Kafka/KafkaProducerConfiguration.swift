/// Configuration of a ``KafkaProducer``: typed fields for what the relay sets, plus
/// ``properties`` passed to librdkafka verbatim and applied last.
public struct KafkaProducerConfiguration: Sendable {
    /// Acknowledgements required from the broker (`acks`).
    public enum Acks: String, Sendable {
        /// All in-sync replicas (required with idempotence).
        case all = "all"
        /// The leader only.
        case leader = "1"
        /// None.
        case none = "0"
    }

    /// Brokers to bootstrap from (`bootstrap.servers`).
    public var bootstrapServers: [String]
    /// The client id (`client.id`). Default `referral-relay`.
    public var clientID: String = "referral-relay"
    /// `enable.idempotence`. Default `true`: no duplicates or reordering from retries. Its cost
    /// in librdkafka (2.0.2 to 2.16): one request per partition in flight, and a broker thread
    /// that polls with a zero timeout until that request is answered, so a busy producer far
    /// from its brokers spins a core (the relay turns it off: docs/DESIGN.md).
    public var enableIdempotence: Bool = true
    /// `acks`. Default ``Acks/all``.
    public var acks: Acks = .all
    /// `linger.ms`: how long to batch. Default 5 ms.
    public var linger: Duration = .milliseconds(5)
    /// `message.timeout.ms`: a record not delivered within this fails. Default 300 s.
    public var deliveryTimeout: Duration = .seconds(300)
    /// `statistics.interval.ms`; `nil` (default) disables ``KafkaProducer/statistics``.
    public var statisticsInterval: Duration? = nil
    /// Wait before retrying a send rejected because the local queue is full. Default 10 ms.
    public var queueFullBackoff: Duration = .milliseconds(10)
    /// Any librdkafka property, applied after the typed fields (so it overrides them).
    public var properties: [String: String] = [:]

    /// Creates a configuration with the documented defaults.
    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    /// The librdkafka properties, in the order they are applied.
    var rdProperties: [(String, String)] {
        var list: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers.joined(separator: ",")),
            ("client.id", clientID),
            ("enable.idempotence", enableIdempotence ? "true" : "false"),
            ("acks", acks.rawValue),
            ("linger.ms", "\(linger.rdMilliseconds)"),
            ("message.timeout.ms", "\(deliveryTimeout.rdMilliseconds)"),
        ]
        if let statisticsInterval {
            list.append(("statistics.interval.ms", "\(statisticsInterval.rdMilliseconds)"))
        }
        list += properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return list
    }
}
