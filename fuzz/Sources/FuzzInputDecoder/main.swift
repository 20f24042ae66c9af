import Kafka
import ReferralKit
@testable import Relay

// `input-decoder`: the bytes are the value of an `account-created` and of a `milestone-reached`
// record, decided by `RelayInputMapper` as the relay does. Invariants beyond "never crashes":
// - a `.deliver` has a trimmed, non-empty account id and mmref, the right kind and
//   `server_event_id`, a `ts` that MMOLove accepts (≥ 0: the event's own time, which RFC 3339
//   keeps before year 10000, or the record's), and the SDK builds and encodes it (what the
//   deliverer does), into JSON the relay's own strict parser accepts and that decodes back to it;
// - a `.malformed` reason is short (it becomes a dead-letter header);
// - the decision does not depend on anything but the value (the same value decides the same).

/// The default topics, every milestone qualifying, a default server.
let everyMilestone = RelayInputMapper(topics: .init(), qualifyingMilestones: [], defaultServerID: "srv_fuzz")
/// The same with a qualifying list (the `notQualifying` path).
let someMilestones = RelayInputMapper(
    topics: .init(), qualifyingMilestones: ["level_10", " boss "], defaultServerID: "srv_fuzz")
/// The record timestamp of the account-created record (the milestone record has none).
let recordMilliseconds: Int64 = 1_795_572_000_999
/// 10000-01-02T00:00:00Z: past the latest RFC 3339 time (9999-12-31T23:59:60-23:59).
let latestEventSeconds: Int64 = 253_402_387_200
/// The longest dead-letter reason accepted, in UTF-8 bytes.
let longestReason = 256

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInputDecoder(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let value = Array(UnsafeBufferPointer(start: start, count: count))
    let created = KafkaConsumerMessage(
        topic: "account-created", partition: 0, offset: 7, key: nil, value: value,
        timestamp: KafkaTimestamp(milliseconds: recordMilliseconds, kind: .createTime))
    check(everyMilestone.decide(created), kind: .registered, recordSeconds: recordMilliseconds / 1000)
    let milestone = KafkaConsumerMessage(
        topic: "milestone-reached", partition: 1, offset: 8, key: nil, value: value, timestamp: nil)
    let decision = everyMilestone.decide(milestone)
    check(decision, kind: .qualified, recordSeconds: nil)
    let narrower = someMilestones.decide(milestone)
    check(narrower, kind: .qualified, recordSeconds: nil)
    // A qualifying list only turns deliveries into skips.
    if case .deliver = narrower { precondition(decision == narrower, "a qualifying list changed a delivery") }
    if case .malformed = decision { precondition(decision == narrower, "a qualifying list changed a verdict") }
    precondition(everyMilestone.decide(milestone) == decision, "the same value decided differently")
    return 0
}

/// Checks the invariants of one decision.
func check(_ decision: RelayDecision, kind: ReferralEvent.Kind, recordSeconds: Int64?) {
    switch decision {
    case .skip:
        break
    case .malformed(let reason):
        precondition(!reason.isEmpty, "empty malformed reason")
        precondition(reason.utf8.count <= longestReason, "malformed reason of \(reason.utf8.count) bytes")
    case .deliver(let request):
        precondition(request.kind == kind, "wrong kind")
        precondition(isTrimmedNonEmpty(request.accountID), "account id empty or untrimmed")
        precondition(isTrimmedNonEmpty(request.mmref), "mmref empty or untrimmed")
        precondition(request.serverEventID == (kind == .registered ? "reg-" : "qual-") + request.accountID)
        precondition(request.serverID.map(isTrimmedNonEmpty) ?? false, "no usable server id")
        if let ts = request.ts {
            precondition(ts >= 0, "negative ts \(ts)")
            precondition(ts < latestEventSeconds || ts == recordSeconds, "ts \(ts) out of range")
        }
        let event: ReferralEvent
        do {
            event = try ReferralEvent(
                kind: request.kind, token: request.mmref, serverID: request.serverID ?? "",
                refereeIdentity: request.kind == .registered ? request.accountID : nil,
                serverEventID: request.serverEventID, ts: request.ts, test: request.test)
        } catch {
            preconditionFailure("the SDK refused a delivery: \(error.reason)")
        }
        let body = event.encoded().body
        precondition(StrictJSON.isValid(body), "the encoded body is not strict JSON")
        // What the sandbox (and MMOLove) does with the body: the same event comes back.
        guard let decoded = try? ReferralEventFields.decode(body).validated() else {
            preconditionFailure("the encoded body does not decode to a valid event")
        }
        precondition(decoded == event, "the event changed in the round trip")
    }
}

/// Whether `text` is non-empty with no Unicode white space at either end.
func isTrimmedNonEmpty(_ text: String) -> Bool {
    guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
    return !first.properties.isWhitespace && !last.properties.isWhitespace
}
