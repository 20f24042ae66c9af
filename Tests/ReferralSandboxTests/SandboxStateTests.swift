import ReferralKit
import ReferralSandbox
import Testing

@Suite("SandboxState")
struct SandboxStateTests {
    private let now: Int64 = 1_000

    private func answer(_ state: inout SandboxState, _ request: SandboxRequest) -> SandboxReply {
        state.receive(request, now: self.now).reply
    }

    @Test func firstTouchStateMachine() throws {
        var state = SandboxState(configuration: SandboxHarness.configuration())
        #expect(answer(&state, try SignedRequests.event(.qualified, token: "A", id: "q-1")).status == 422)
        let registered = answer(&state, try SignedRequests.event(.registered, token: "A", referee: "p1", id: "r-1"))
        #expect(registered.body == #"{"ok":true,"referral_id":"ref_1","state":"registered"}"#)
        #expect(
            answer(&state, try SignedRequests.event(.registered, token: "A", referee: "p1", id: "r-1")).verdict
                == .duplicate)
        #expect(
            answer(&state, try SignedRequests.event(.registered, token: "A", referee: "p1", id: "r-other")).body
                == #"{"ok":true,"referral_id":"ref_1","state":"registered"}"#)
        #expect(
            answer(&state, try SignedRequests.event(.registered, token: "B", referee: "p1", id: "r-2")).body
                == #"{"ok":true,"ignored":"first_touch_conflict"}"#)
        #expect(
            answer(&state, try SignedRequests.event(.registered, token: "A", referee: "p2", id: "r-3")).status == 422)
        #expect(
            answer(&state, try SignedRequests.event(.qualified, token: "A", id: "q-1")).body
                == #"{"ok":true,"referral_id":"ref_1","state":"qualified"}"#)
        #expect(answer(&state, try SignedRequests.event(.qualified, token: "A", id: "q-1")).verdict == .duplicate)
        #expect(answer(&state, try SignedRequests.event(.qualified, token: "A", id: "q-9")).verdict == .advanced)
        #expect(answer(&state, try SignedRequests.event(.reversed, token: "A", id: "x-1")).body == #"{"ok":true}"#)
    }

    @Test func replacedSecretsVerifyFromThenOnAndTheOldOneNoLonger() throws {
        let store = SandboxStore(configuration: SandboxHarness.configuration())
        let event = try ReferralEvent(
            kind: .registered, token: "A", serverID: "srv_42", refereeIdentity: "p1", serverEventID: "r-1")
        let body = event.encoded().bodyString
        try store.setSecrets([SandboxHarness.rotatedNew], forServer: "srv_42")
        let old = store.withState { $0.receive(SignedRequests.request(body: body, t: 1_000), now: 1_000).reply }
        #expect(old.status == 401)
        let new = store.withState {
            $0.receive(SignedRequests.request(body: body, secret: SandboxHarness.rotatedNew, t: 1_000), now: 1_000)
                .reply
        }
        #expect(new.verdict == .advanced)
        #expect(throws: SandboxError.self) { try store.setSecrets([SandboxHarness.secret], forServer: "srv_nope") }
        #expect(throws: SandboxError.self) { try store.setSecrets([ReferralSecret("")], forServer: "srv_42") }
        store.reset()
        let restored = store.withState { $0.receive(SignedRequests.request(body: body, t: 1_000), now: 1_000).reply }
        #expect(restored.verdict == .advanced, "reset restores the configured secrets")
    }

    @Test func a422DoesNotClaimTheIdempotencyKey() throws {
        var state = SandboxState(configuration: SandboxHarness.configuration())
        #expect(answer(&state, try SignedRequests.event(.qualified, token: "A", id: "q-1")).status == 422)
        _ = answer(&state, try SignedRequests.event(.registered, token: "A", referee: "p1", id: "r-1"))
        #expect(answer(&state, try SignedRequests.event(.qualified, token: "A", id: "q-1")).verdict == .advanced)
    }

    @Test func testEventsWriteNothing() throws {
        var state = SandboxState(configuration: SandboxHarness.configuration())
        let dry = answer(
            &state, try SignedRequests.event(.registered, token: "A", referee: "p1", id: "r-1", test: true))
        #expect(dry.body == #"{"ok":true,"test":true}"#)
        #expect(answer(&state, try SignedRequests.event(.qualified, token: "A", id: "q-1")).status == 422)
        #expect(
            answer(&state, try SignedRequests.event(.registered, token: "A", referee: "p1", id: "r-1")).verdict
                == .advanced)
    }

    @Test func tokenIsBoundToItsServer() throws {
        var configuration = SandboxHarness.configuration()
        configuration.servers.append(.init(id: "srv_43", secrets: [SandboxHarness.secret]))
        var state = SandboxState(configuration: configuration)
        _ = answer(&state, try SignedRequests.event(.registered, token: "A", referee: "p1", id: "r-1"))
        #expect(
            answer(&state, try SignedRequests.event(.qualified, token: "A", id: "q-1", server: "srv_43")).body
                == #"{"error":"unknown token"}"#)
    }

    @Test func validationErrorsUseTheContractBodies() throws {
        var state = SandboxState(configuration: SandboxHarness.configuration())
        let noHeader = SandboxRequest(method: "POST", path: "/api/referral/events", headers: [], body: Array("{}".utf8))
        #expect(answer(&state, noHeader).body == #"{"error":"missing or malformed X-MMOLove-Signature header"}"#)
        let badEvent = SignedRequests.request(
            body: #"{"event":"clicked","token":"t","server_id":"srv_42","server_event_id":"e"}"#, t: self.now)
        #expect(answer(&state, badEvent).body == #"{"error":"invalid event"}"#)
        let noServer = SignedRequests.request(
            body: #"{"event":"qualified","token":"t","server_event_id":"e"}"#, t: self.now)
        #expect(answer(&state, noServer).body == #"{"error":"missing field: server_id"}"#)
        let unsignedGarbage = SignedRequests.request(
            body: #"{"event":"qualified","token":"t","server_id":"srv_42","server_event_id":"e"}"#,
            secret: ReferralSecret("wrong"), t: self.now)
        #expect(answer(&state, unsignedGarbage).body == #"{"error":"bad_signature"}"#)
    }

    @Test func firstNFaultsComeInOrderThenTheSeededRates() {
        var state = SandboxState(configuration: SandboxHarness.configuration())
        state.setFaults(SandboxFaults(failFirst: 1, dropFirst: 1, throttleFirst: 1, retryAfter: "2"))
        #expect(state.nextFault()?.verdict == .faultDrop)
        let throttle = state.nextFault()
        #expect(throttle?.status == 429)
        #expect(throttle?.retryAfter == "2")
        #expect(state.nextFault()?.status == 500)
        #expect(state.nextFault() == nil)

        var first = SandboxState(configuration: SandboxHarness.configuration(faults: SandboxFaults(failRate: 0.5)))
        var second = SandboxState(configuration: SandboxHarness.configuration(faults: SandboxFaults(failRate: 0.5)))
        let pattern = (0..<64).map { _ in first.nextFault() != nil }
        #expect(pattern == (0..<64).map { _ in second.nextFault() != nil }, "same seed, same pattern")
        #expect(pattern.contains(true) && pattern.contains(false))
    }

    @Test func requestsBeyondMaxConcurrentAreShedFirstAndConsumeNoCounter() {
        var state = SandboxState(configuration: SandboxHarness.configuration())
        state.setFaults(SandboxFaults(failFirst: 2, throttleStatus: 503, maxConcurrent: 1))
        #expect(state.arrive()?.verdict == .faultFailure)
        let shed = state.arrive()
        #expect(shed?.verdict == .faultOverload)
        #expect(shed?.status == 503)
        #expect(shed?.retryAfter == nil)
        #expect(state.inFlight == 2)
        state.depart()
        state.depart()
        // The shed request left the second injected failure for the next one taken.
        #expect(state.arrive()?.verdict == .faultFailure)
        #expect(state.arrive()?.verdict == .faultOverload)
        state.depart()
        state.depart()
        #expect(state.arrive() == nil)
        state.depart()
        state.depart()
        #expect(state.inFlight == 0)
    }

    @Test func logIsARingThatStaysOrderedAcrossManyWraps() throws {
        var configuration = SandboxHarness.configuration()
        configuration.logCapacity = 3
        var state = SandboxState(configuration: configuration)
        let request = SandboxRequest(method: "POST", path: "/api/referral/events", headers: [], body: [])
        let reply = SandboxReply(status: 200, body: "{}", verdict: .accepted)
        for count in 1...10 {
            state.record(request, reply: reply, event: nil, time: Double(count))
            #expect(state.log.map(\.sequence) == Array(max(1, count - 2)...count))
        }
        #expect(state.stats.requests == 10)
    }

    @Test func logKeepsRawBodiesUpToCapacityAndCounts() throws {
        var configuration = SandboxHarness.configuration()
        configuration.logCapacity = 2
        var state = SandboxState(configuration: configuration)
        for id in ["r-1", "r-2", "r-3"] {
            let request = try SignedRequests.event(.registered, token: "T\(id)", referee: id, id: id)
            let (reply, event) = state.receive(request, now: self.now)
            state.record(request, reply: reply, event: event, time: 1)
        }
        #expect(state.log.map(\.sequence) == [2, 3])
        #expect(state.log.last?.body.contains("\"server_event_id\":\"r-3\"") == true)
        #expect(state.stats.requests == 3)
        #expect(state.stats.acceptedByEvent == ["registered": 3])
        #expect(state.stats.byStatus == ["200": 3])
    }
}
