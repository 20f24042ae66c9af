import Kafka
import Relay
import Testing

/// The `dlq` filter with plain values: stage, time window, reason pattern, and what redrive
/// decides for a selected dead letter.
@Suite struct DeadLetterFilterTests {
    /// A dead letter as the relay writes it, of `stage`, written at `timestamp`, with `reason`.
    static func entry(
        stage: DeadLetterStage = .deliver,
        timestamp: Int64? = 1_000_000,
        reason: String = "unknown token",
        originalTopic: String? = "milestone-reached",
        originalHeaders: [KafkaHeader] = []
    ) -> DeadLetterEntry {
        let original = KafkaConsumerMessage(
            topic: originalTopic ?? "milestone-reached", partition: 1, offset: 9, key: Array("acct-1".utf8),
            value: Array("{}".utf8), headers: originalHeaders)
        var record = DeadLetter.record(for: original, topic: "referral-dlq", stage: stage, reason: reason)
        if originalTopic == nil { record.headers.removeAll { $0.key == "__connect.errors.topic" } }
        return DeadLetterEntry(
            message: KafkaConsumerMessage(
                topic: "referral-dlq", partition: 0, offset: 4, key: record.key, value: record.value,
                headers: record.headers,
                timestamp: timestamp.map { KafkaTimestamp(milliseconds: $0, kind: .createTime) }
            ))
    }

    @Test func anEmptyFilterMatchesEverything() throws {
        let filter = try DeadLetterFilter()
        #expect(filter.isEmpty)
        #expect(filter.matches(Self.entry(stage: .decode, timestamp: nil, reason: "")))
        #expect(RedriveRunName.derived(from: filter) == "all")
    }

    @Test func stageSelectsOneStage() throws {
        let filter = try DeadLetterFilter(stage: .decode)
        #expect(filter.matches(Self.entry(stage: .decode)))
        #expect(!filter.matches(Self.entry(stage: .deliver)))
    }

    @Test func windowIsHalfOpenOnTheDeadLettersTimestamp() throws {
        let filter = try DeadLetterFilter(from: 1_000, to: 2_000)
        #expect(!filter.matches(Self.entry(timestamp: 999)))
        #expect(filter.matches(Self.entry(timestamp: 1_000)))
        #expect(filter.matches(Self.entry(timestamp: 1_999)))
        #expect(!filter.matches(Self.entry(timestamp: 2_000)))
        #expect(!filter.matches(Self.entry(timestamp: nil)))
        #expect(throws: DeadLetterToolError.self) { try DeadLetterFilter(from: 2_000, to: 2_000) }
    }

    @Test func reasonIsARegexSearchedAnywhere() throws {
        let filter = try DeadLetterFilter(reasonPattern: "token$")
        #expect(filter.matches(Self.entry(reason: "unknown token")))
        #expect(!filter.matches(Self.entry(reason: "token expired")))
        let anchored = try DeadLetterFilter(reasonPattern: "^account_id: (missing|empty)$")
        #expect(anchored.matches(Self.entry(reason: "account_id: empty")))
        #expect(!anchored.matches(Self.entry(reason: "x account_id: empty")))
    }

    @Test func aBadRegexIsAUsageError() {
        #expect {
            try DeadLetterFilter(reasonPattern: "(unclosed")
        } throws: { error in
            (error as? DeadLetterToolError)?.code == .usage
        }
    }

    @Test func commandLineTextParsesToTheSameFilter() throws {
        let filter = try DeadLetterFilter.parse(
            stage: "deliver", from: "2026-11-25T09:00:00+01:00", to: "2026-11-25T08:00:01.5Z", reason: "x")
        #expect(filter.stage == .deliver)
        #expect(filter.from == 1_795_593_600_000)
        #expect(filter.to == 1_795_593_601_500)
        for (stage, from) in [("redeliver", nil), (nil, "yesterday")] as [(String?, String?)] {
            #expect(throws: DeadLetterToolError.self) {
                try DeadLetterFilter.parse(stage: stage, from: from, to: nil, reason: nil)
            }
        }
    }

    @Test func redriveDecidesPerDeadLetter() throws {
        let filter = try DeadLetterFilter(stage: .deliver)
        func decide(_ entry: DeadLetterEntry) -> RedriveDecision {
            filter.decision(for: entry, run: "nov-outage", deadLetterTopic: "referral-dlq")
        }
        #expect(decide(Self.entry()) == .redrive(topic: "milestone-reached"))
        #expect(decide(Self.entry(stage: .decode)) == .notMatched)
        #expect(decide(Self.entry(originalTopic: nil)) == .skip(.noOriginalTopic))
        #expect(decide(Self.entry(originalTopic: "referral-dlq")) == .skip(.originalIsDeadLetterTopic))
        #expect(decide(Self.entry(originalTopic: "bad topic")) == .skip(.noOriginalTopic))
        var truncated = Self.entry().message
        truncated.headers.append(KafkaHeader(key: DeadLetter.truncatedHeader, value: Array("value".utf8)))
        #expect(decide(DeadLetterEntry(message: truncated)) == .skip(.truncated))
    }

    @Test func aDeadLetterThisRunAlreadyReDroveIsSkippedAnotherRunsIsNot() throws {
        let filter = try DeadLetterFilter()
        let redriven = Self.entry(originalHeaders: [
            KafkaHeader(key: "referral-relay.redrive.run", value: Array("nov-outage".utf8)),
            KafkaHeader(key: "referral-relay.redrive.source", value: Array("referral-dlq/0/1".utf8)),
        ])
        #expect(redriven.redriveRuns == ["nov-outage"])
        #expect(
            filter.decision(for: redriven, run: "nov-outage", deadLetterTopic: "referral-dlq")
                == .skip(.alreadyRedriven))
        #expect(
            filter.decision(for: redriven, run: "dec-retry", deadLetterTopic: "referral-dlq")
                == .redrive(topic: "milestone-reached"))
    }

    @Test func runNamesAreStableAndChecked() throws {
        let a = try DeadLetterFilter(stage: .deliver, from: 1_000, reasonPattern: "token")
        let b = try DeadLetterFilter.parse(stage: "deliver", from: "1970-01-01T00:00:01Z", to: nil, reason: "token")
        #expect(RedriveRunName.derived(from: a) == RedriveRunName.derived(from: b))
        #expect(RedriveRunName.derived(from: a).hasPrefix("deliver-"))
        #expect(RedriveRunName.derived(from: a).count == "deliver-".count + 10)
        #expect(RedriveRunName.derived(from: a) != RedriveRunName.derived(from: try DeadLetterFilter(stage: .deliver)))
        // FNV-1a of a fixed text never changes (value computed independently in Python): a run
        // started yesterday resumes today.
        #expect(RedriveRunName.derived(from: try DeadLetterFilter(stage: .decode)) == "decode-2f9650e8bd")
        #expect(RedriveRunName.groupID(relayGroup: "referral-relay", run: "all") == "referral-relay-redrive-all")
        try RedriveRunName.validate("nov-outage.2")
        for bad in ["", "two words", "ü", String(repeating: "a", count: 101)] {
            #expect(throws: DeadLetterToolError.self) { try RedriveRunName.validate(bad) }
        }
    }
}
