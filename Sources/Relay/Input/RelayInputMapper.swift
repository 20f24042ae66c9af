import Kafka
import ReferralKit

/// Decides what to do with each consumed record: decode it against input contract v1, then map
/// a referred player's event to a ``DeliveryRequest`` (or skip it, or call it malformed).
///
/// Pure and synchronous: no I/O, so it can be fuzzed and benchmarked on its own.
///
/// Mapping (the README's input contract):
/// - the record's topic picks the schema; any other topic is malformed;
/// - `mmref` absent, `null` or blank → ``SkipReason/notReferred``;
/// - a milestone outside a non-empty ``qualifyingMilestones`` (exact, after trimming) →
///   ``SkipReason/notQualifying``;
/// - otherwise `registered` (`reg-<account_id>`) or `qualified` (`qual-<account_id>`), with the
///   event's `server_id` (else ``defaultServerID``) and `ts` = the event's own time, else the
///   record timestamp, in Unix seconds. A time before 1970 cannot be sent (MMOLove's `ts` is
///   non-negative; Go's zero time `0001-01-01T00:00:00Z` is common) and counts as absent: `ts`
///   is optional, so the event is still sent, never dead-lettered for it.
///
/// Size: a record whose key and value exceed ``maxInputBytes`` is malformed before it is
/// parsed, and so is an event whose smallest outcome (``OutcomeRecord/smallestSize(of:)``)
/// would exceed ``maxOutcomeBytes``: MMOLove would take it, and no outcome could tell the
/// reward service.
public struct RelayInputMapper: Sendable {
    /// The topic names (which one a record came from decides its schema).
    public var topics: RelayConfiguration.Topics
    /// Qualifying milestones; empty means every milestone qualifies. Compared exactly after
    /// trimming both sides.
    public var qualifyingMilestones: Set<String> {
        didSet { qualifying = Self.trimmedSet(qualifyingMilestones) }
    }
    /// The server id for events that carry none.
    public var defaultServerID: String?
    /// Send every event as a dry run.
    public var testEvents: Bool
    /// The largest record, key and value, taken as input (default 256 KiB).
    public var maxInputBytes: Int = RelayConfiguration.defaultMaxInputBytes
    /// The largest record the producer sends (`message.max.bytes`); `nil`: unchecked.
    public var maxOutcomeBytes: Int? = nil
    /// The referee store runs: a qualifying milestone without `mmref` becomes a `qualified`
    /// whose token the store provides (``DeliveryRequest/tokenFromStore``), not a skip.
    public var tokensFromStore = false
    /// ``qualifyingMilestones`` trimmed once, not per record.
    private var qualifying: Set<String>

    /// Creates a mapper.
    public init(
        topics: RelayConfiguration.Topics,
        qualifyingMilestones: Set<String>,
        defaultServerID: String?,
        testEvents: Bool = false
    ) {
        self.topics = topics
        self.qualifyingMilestones = qualifyingMilestones
        self.qualifying = Self.trimmedSet(qualifyingMilestones)
        self.defaultServerID = defaultServerID
        self.testEvents = testEvents
    }

    /// Decides what to do with `message`.
    public func decide(_ message: KafkaConsumerMessage) -> RelayDecision {
        let size = message.value.count + (message.key?.count ?? 0)
        if size > self.maxInputBytes {
            return .malformed(
                reason: "record of \(size) bytes (key and value) exceeds the input limit of \(self.maxInputBytes) bytes"
            )
        }
        let kind: LifecycleDecoder.Kind
        switch message.topic {
        case topics.accountCreated: kind = .accountCreated
        case topics.milestoneReached: kind = .milestoneReached
        default:
            return .malformed(reason: "topic \(LifecycleDecodingError.excerpt(message.topic)) has no input schema")
        }
        let decoded: LifecycleDecoder.Decoded
        do {
            decoded = try LifecycleDecoder.decode(message.value, as: kind)
        } catch {
            return .malformed(reason: error.reason)
        }

        let eventKind: ReferralEvent.Kind
        let mmref: String?
        let serverID: String?
        switch decoded.event {
        case .accountCreated(let event):
            eventKind = .registered
            mmref = event.mmref
            serverID = event.serverID
        case .milestoneReached(let event):
            // `milestone` was trimmed by the decoder.
            if !qualifying.isEmpty, !qualifying.contains(event.milestone) {
                return .skip(.notQualifying)
            }
            eventKind = .qualified
            mmref = event.mmref
            serverID = event.serverID
        }
        let token = mmref.map(LifecycleDecoder.trimmed) ?? ""
        let fromStore = token.isEmpty && eventKind == .qualified && tokensFromStore
        guard !token.isEmpty || fromStore else {
            return .skip(.notReferred)
        }

        let accountID = decoded.event.accountID
        let source = RecordSource(
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            timestampMilliseconds: message.timestamp?.milliseconds
        )
        var request = DeliveryRequest(
            kind: eventKind,
            accountID: accountID,
            mmref: String(token),
            serverID: serverID.map(LifecycleDecoder.trimmed).flatMap { $0.isEmpty ? nil : String($0) }
                ?? defaultServerID,
            serverEventID: (eventKind == .registered ? "reg-" : "qual-") + accountID,
            ts: Self.sendable(decoded.eventTime?.seconds)
                ?? Self.sendable(source.timestampMilliseconds.map(Self.floorSeconds)),
            test: testEvents,
            source: source
        )
        request.tokenFromStore = fromStore
        if let maxOutcomeBytes, let smallest = Self.outcomeSizeIfTooLarge(request, limit: maxOutcomeBytes) {
            return .malformed(
                reason: "account_id of \(accountID.utf8.count) bytes: even a reduced outcome (\(smallest) bytes)"
                    + " would exceed the producer's limit of \(maxOutcomeBytes) bytes; not sent")
        }
        return .deliver(request)
    }

    /// The smallest outcome's size when it exceeds `limit`, else `nil`. Encodes the outcome only
    /// when a bound without encoding (every byte escaped as `\u00XX`) does not settle it, so the
    /// usual small record costs a few additions.
    private static func outcomeSizeIfTooLarge(_ request: DeliveryRequest, limit: Int) -> Int? {
        let strings =
            2 * request.accountID.utf8.count + request.mmref.utf8.count + (request.serverID?.utf8.count ?? 0)
            + request.source.topic.utf8.count
        if 6 * strings + 2_048 <= limit { return nil }
        let smallest = OutcomeRecord.smallestSize(of: request)
        return smallest > limit ? smallest : nil
    }

    private static func trimmedSet(_ names: Set<String>) -> Set<String> {
        Set(names.map { String(LifecycleDecoder.trimmed($0)) })
    }

    /// `seconds` when MMOLove's `ts` can carry it (``ReferralEvent`` refuses a negative one).
    private static func sendable(_ seconds: Int64?) -> Int64? {
        seconds.flatMap { $0 >= 0 ? $0 : nil }
    }

    /// Milliseconds to whole seconds, rounding down (also before 1970).
    private static func floorSeconds(_ milliseconds: Int64) -> Int64 {
        let seconds = milliseconds / 1000
        return milliseconds % 1000 < 0 ? seconds - 1 : seconds
    }
}
