import Kafka
import ReferralKit
import Relay
import Testing

/// Mapping rules of input contract v1: ids, `ts` fallback, default server, qualifying list,
/// skip reasons and malformed reasons.
@Suite struct InputMapperTests {
    static let recordMilliseconds: Int64 = 1_795_572_000_999

    static func message(
        _ json: String,
        topic: String = "account-created",
        timestamp: Int64? = recordMilliseconds,
        value: [UInt8]? = nil
    ) -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: topic,
            partition: 4,
            offset: 99,
            key: Array("k".utf8),
            value: value ?? Array(json.utf8),
            timestamp: timestamp.map { KafkaTimestamp(milliseconds: $0, kind: .createTime) }
        )
    }

    static func mapper(qualifying: Set<String> = [], defaultServer: String? = "srv-default", test: Bool = false)
        -> RelayInputMapper
    {
        RelayInputMapper(
            topics: RelayConfiguration.Topics(),
            qualifyingMilestones: qualifying,
            defaultServerID: defaultServer,
            testEvents: test
        )
    }

    static func request(_ decision: RelayDecision) -> DeliveryRequest? {
        if case .deliver(let request) = decision { return request }
        return nil
    }

    @Test func accountCreatedBecomesRegistered() throws {
        let decision = Self.mapper().decide(
            Self.message(
                #"{"account_id":" acct-1 ","mmref":" mmr_a ","server_id":"eu-1","created_at":"2026-11-25T03:09:15.9+01:00"}"#
            )
        )
        let request = try #require(Self.request(decision))
        #expect(request.kind == .registered)
        #expect(request.accountID == "acct-1")
        #expect(request.mmref == "mmr_a")
        #expect(request.serverID == "eu-1")
        #expect(request.serverEventID == "reg-acct-1")
        #expect(request.ts == 1_795_572_555)
        #expect(request.test == false)
        #expect(
            request.source
                == RecordSource(
                    topic: "account-created", partition: 4, offset: 99, timestampMilliseconds: Self.recordMilliseconds)
        )
    }

    @Test func milestoneBecomesQualified() throws {
        let decision = Self.mapper(test: true).decide(
            Self.message(#"{"account_id":"acct-2","milestone":"level_10","mmref":"mmr_b"}"#, topic: "milestone-reached")
        )
        let request = try #require(Self.request(decision))
        #expect(request.kind == .qualified)
        #expect(request.serverEventID == "qual-acct-2")
        #expect(request.serverID == "srv-default")
        #expect(request.test)
        // No reached_at: the record timestamp, rounded down to seconds.
        #expect(request.ts == 1_795_572_000)
    }

    @Test func tsIsNilWithoutEventTimeOrRecordTimestamp() throws {
        let decision = Self.mapper().decide(Self.message(#"{"account_id":"a","mmref":"m"}"#, timestamp: nil))
        let request = try #require(Self.request(decision))
        #expect(request.ts == nil)
        #expect(request.source.timestampMilliseconds == nil)
    }

    @Test func eventTimeWinsAndKeepsWholeSecondsExactly() throws {
        let decision = Self.mapper().decide(
            Self.message(#"{"account_id":"a","mmref":"m","created_at":"2016-12-31T23:59:59.9999999999Z"}"#)
        )
        #expect(try #require(Self.request(decision)).ts == 1_483_228_799)
        let leap = Self.mapper().decide(
            Self.message(#"{"account_id":"a","mmref":"m","created_at":"2016-12-31T23:59:60Z"}"#))
        #expect(try #require(Self.request(leap)).ts == 1_483_228_800)
    }

    /// MMOLove's `ts` is non-negative, so a time before 1970 cannot be sent: it counts as absent
    /// (the record timestamp, else no `ts`), and the event is still delivered. Before, `ts` was
    /// negative, the SDK refused the event and the relay rejected it (issue 11).
    @Test(arguments: ["0001-01-01T00:00:00Z", "1969-12-31T23:59:59.5Z", "1970-01-01T00:30:00+01:00"])
    func eventTimeBefore1970IsNotSent(createdAt: String) throws {
        let json = #"{"account_id":"a","mmref":"m","created_at":"\#(createdAt)"}"#
        let withRecordTime = try #require(Self.request(Self.mapper().decide(Self.message(json))))
        #expect(withRecordTime.ts == 1_795_572_000)
        let request = try #require(Self.request(Self.mapper().decide(Self.message(json, timestamp: nil))))
        #expect(request.ts == nil)
        // What the deliverer builds from it: the SDK accepts the event.
        let event = try ReferralEvent(
            kind: request.kind, token: request.mmref, serverID: "srv", refereeIdentity: request.accountID,
            serverEventID: request.serverEventID, ts: request.ts)
        #expect(event.ts == nil)
    }

    /// A dead-letter reason quotes at most 40 Unicode scalars of a bad value. It used to quote 40
    /// characters, and one character may hold hundreds of combining marks, so the whole value
    /// went into the header (the fuzzer's reason-length invariant, on a hand-made input).
    @Test func malformedReasonStaysShortWhateverTheCharacters() throws {
        let marks = String(repeating: "\u{301}", count: 400)
        let decision = Self.mapper().decide(
            Self.message(#"{"account_id":"p","mmref":"m","created_at":"x\#(marks)"}"#))
        guard case .malformed(let reason) = decision else {
            Issue.record("not malformed: \(decision)")
            return
        }
        #expect(reason.utf8.count < 200)
        // Bytes, not characters: the quoted `x` and the marks after it form one character.
        #expect(reason.utf8.starts(with: #"created_at: not an RFC 3339 date-time ("x"#.utf8))
        #expect(reason.hasSuffix(#"…")"#))
    }

    @Test func recordTimestampBefore1970IsNotSent() throws {
        let decision = Self.mapper().decide(Self.message(#"{"account_id":"a","mmref":"m"}"#, timestamp: -1))
        #expect(try #require(Self.request(decision)).ts == nil)
        let epoch = Self.mapper().decide(
            Self.message(#"{"account_id":"a","mmref":"m","created_at":"1970-01-01T00:00:00Z"}"#, timestamp: -1))
        #expect(try #require(Self.request(epoch)).ts == 0)
    }

    @Test func serverIDFallsBackToTheDefaultOrNil() throws {
        let blank = Self.mapper().decide(Self.message(#"{"account_id":"a","mmref":"m","server_id":"  "}"#))
        #expect(try #require(Self.request(blank)).serverID == "srv-default")
        let none = Self.mapper(defaultServer: nil).decide(Self.message(#"{"account_id":"a","mmref":"m"}"#))
        #expect(try #require(Self.request(none)).serverID == nil)
    }

    @Test(arguments: [
        #"{"account_id":"a"}"#, #"{"account_id":"a","mmref":null}"#, #"{"account_id":"a","mmref":" \n"}"#,
    ])
    func unreferredAccountsAreSkipped(json: String) {
        #expect(Self.mapper().decide(Self.message(json)) == .skip(.notReferred))
    }

    @Test func qualifyingListIsExactAfterTrimming() {
        let mapper = Self.mapper(qualifying: ["level_10 ", "first_purchase"])
        func decide(_ milestone: String, mmref: String = "m") -> RelayDecision {
            mapper.decide(
                Self.message(
                    #"{"account_id":"a","milestone":"\#(milestone)","mmref":"\#(mmref)"}"#, topic: "milestone-reached")
            )
        }
        #expect(Self.request(decide(" level_10")) != nil)
        #expect(Self.request(decide("first_purchase")) != nil)
        #expect(decide("Level_10") == .skip(.notQualifying))
        #expect(decide("level_1") == .skip(.notQualifying))
        // A non-qualifying milestone is not a referral event whether referred or not.
        #expect(decide("level_1", mmref: "") == .skip(.notQualifying))
        #expect(decide("level_10", mmref: "") == .skip(.notReferred))
        // An empty list qualifies every milestone.
        #expect(
            Self.request(
                Self.mapper().decide(
                    Self.message(#"{"account_id":"a","milestone":"anything","mmref":"m"}"#, topic: "milestone-reached"))
            ) != nil)
    }

    @Test func customTopicNamesPickTheSchema() throws {
        let mapper = RelayInputMapper(
            topics: RelayConfiguration.Topics(accountCreated: "acc.v1", milestoneReached: "ms.v1"),
            qualifyingMilestones: [],
            defaultServerID: nil
        )
        #expect(
            Self.request(mapper.decide(Self.message(#"{"account_id":"a","mmref":"m"}"#, topic: "acc.v1")))?.kind
                == .registered)
        #expect(
            mapper.decide(Self.message(#"{"account_id":"a","mmref":"m"}"#, topic: "ms.v1"))
                == .malformed(reason: "milestone: missing")
        )
        guard case .malformed(let reason) = mapper.decide(Self.message(#"{"account_id":"a","mmref":"m"}"#)) else {
            Issue.record("an unknown topic is not malformed")
            return
        }
        #expect(reason.contains("account-created"))
    }

    @Test(arguments: [
        (#"{"mmref":"m"}"#, "account_id: missing"),
        (#"{"account_id":""}"#, "account_id: empty"),
        (#"{"account_id":null}"#, "account_id: null, expected a string"),
        (#"{"account_id":12}"#, "account_id: not a string"),
        (#"{"account_id":"a","mmref":1}"#, "mmref: not a string"),
        (#"{"account_id":"a","server_id":null}"#, "server_id: null, expected a string"),
        (
            #"{"account_id":"a","created_at":"2026-02-30T00:00:00Z"}"#,
            #"created_at: not an RFC 3339 date-time ("2026-02-30T00:00:00Z")"#
        ),
        (#"["a"]"#, "value is not a JSON object"),
        (#"{"account_id":"a""#, "value is not valid JSON"),
        ("", "value is empty"),
        ("\u{FEFF}{\"account_id\":\"a\"}", "value is not valid JSON"),
    ])
    func malformedReasonsAreShortAndSpecific(json: String, reason: String) {
        #expect(Self.mapper().decide(Self.message(json)) == .malformed(reason: reason))
    }

    @Test func invalidUTF8IsMalformed() {
        let value: [UInt8] = Array(#"{"account_id":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        #expect(Self.mapper().decide(Self.message("", value: value)) == .malformed(reason: "value is not valid JSON"))
    }

    @Test func hugeValuesAreNotEchoed() {
        let huge = String(repeating: "9", count: 100_000)
        guard
            case .malformed(let reason) = Self.mapper().decide(
                Self.message(#"{"account_id":"a","created_at":"\#(huge)"}"#))
        else {
            Issue.record("not malformed")
            return
        }
        #expect(reason.count < 100)
        #expect(reason.hasPrefix("created_at: not an RFC 3339 date-time"))
    }
}

/// The value must be strict JSON even where the relay never looks (Foundation's decoder alone
/// accepts several of these).
@Suite struct InputMapperStrictJSONTests {
    @Test(arguments: [
        #"{"account_id":"a","mmref":"m",}"#,
        #"{"account_id":"a","mmref":"m","x":[1,2,]}"#,
        #"{"account_id":"a","mmref":"m","x":01}"#,
        #"{"account_id":"a","mmref":"m","x":1.}"#,
        #"{"account_id":"a","mmref":"m","x":1e}"#,
        #"{"account_id":"a","mmref":"m","x":-}"#,
        #"{"account_id":"a","mmref":"m","x":NaN}"#,
        #"{"account_id":"a","mmref":"m","x":'s'}"#,
        #"{"account_id":"a","mmref":"m"} x"#,
        #"{"account_id":"a","mmref":"m","x":"\x41"}"#,
        "{\"account_id\":\"a\",\"mmref\":\"m\",\"x\":\"\u{1}\"}",
        #"{"account_id":"a","mmref":"m","x":"\u12G4"}"#,
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func nonJSONIsMalformed(text: String) {
        let decision = InputMapperTests.mapper().decide(InputMapperTests.message(text))
        #expect(decision == .malformed(reason: "value is not valid JSON"))
    }

    @Test func invalidUTF8InAnUnknownFieldIsMalformed() {
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            let value = Array(#"{"account_id":"a","mmref":"m","x":""#.utf8) + bad + Array(#""}"#.utf8)
            let decision = InputMapperTests.mapper().decide(InputMapperTests.message("", value: value))
            #expect(decision == .malformed(reason: "value is not valid JSON"), "\(bad)")
        }
    }

    @Test(arguments: [
        #" {"account_id":"a","mmref":"m","x":[-0.5E-3,0,1e+2,{"y":[]}],"z":"\u00e9\ud83c\udf89 \" \\ \/"} "#,
        #"{"account_id":"a","mmref":"m","x":"€ 🎉"}"#,
    ])
    func jsonCornersAreAccepted(text: String) {
        #expect(InputMapperTests.request(InputMapperTests.mapper().decide(InputMapperTests.message(text))) != nil)
    }
}
