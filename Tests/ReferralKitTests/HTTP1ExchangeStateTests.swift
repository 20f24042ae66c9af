import NIOCore
import NIOHTTP1
import Testing

@testable import ReferralKit

/// The pooled connection's rules as plain values: one request at a time, the body limit,
/// which losses a new connection may retry.
@Suite struct HTTP1ExchangeStateTests {
    static func head(_ status: HTTPResponseStatus = .ok, close: Bool = false) -> HTTPResponseHead {
        HTTPResponseHead(
            version: .http1_1, status: status, headers: close ? ["Connection": "close"] : ["Content-Length": "2"])
    }

    @Test func aResponseInPartsIsGatheredAndTheConnectionGoesBackToIdle() {
        var state = HTTP1ExchangeState(maxBodyBytes: 16)
        #expect(state.sendRequest() == .write)
        #expect(state.receivedHead(Self.head()) == .none)
        #expect(state.receivedBody(ByteBuffer(string: "{\"o")) == .none)
        #expect(state.receivedBody(ByteBuffer(string: "k\":1}")) == .none)
        guard case .succeed(let response) = state.receivedEnd() else {
            Issue.record("no response")
            return
        }
        #expect(response.status == 200)
        #expect(String(buffer: response.body) == "{\"ok\":1}")
        #expect(response.keepAlive)
        #expect(state.sendRequest() == .write)
    }

    @Test func aConnectionTakesOneRequestAtATime() {
        var state = HTTP1ExchangeState(maxBodyBytes: 16)
        #expect(state.sendRequest() == .write)
        guard case .refuse(let error) = state.sendRequest() else {
            Issue.record("a second request was written")
            return
        }
        // Refused, not lost before a response: the request was never sent, but it is not a
        // stale connection either, so the pool does not quietly retry it.
        #expect(!error.beforeResponse)
        // The first request is unaffected.
        #expect(state.receivedHead(Self.head()) == .none)
        #expect(state.receivedEnd() != .none)
    }

    @Test func connectionCloseLeavesTheConnectionOutOfThePool() {
        var state = HTTP1ExchangeState(maxBodyBytes: 16)
        _ = state.sendRequest()
        _ = state.receivedHead(Self.head(close: true))
        guard case .succeed(let response) = state.receivedEnd() else {
            Issue.record("no response")
            return
        }
        #expect(!response.keepAlive)
        guard case .refuse = state.sendRequest() else {
            Issue.record("a closing connection took a request")
            return
        }
    }

    @Test func aBodyOverTheLimitFailsAndCloses() {
        var state = HTTP1ExchangeState(maxBodyBytes: 4)
        _ = state.sendRequest()
        _ = state.receivedHead(Self.head())
        #expect(state.receivedBody(ByteBuffer(string: "1234")) == .none)
        #expect(
            state.receivedBody(ByteBuffer(string: "5"))
                == .fail(HTTP1TransportError(.bodyTooLarge, detail: "over 4 bytes")))
        // What arrives after is ignored.
        #expect(state.receivedEnd() == .none)
        #expect(state.channelInactive() == .none)
    }

    @Test func aCloseBeforeAnyResponseMayBeRetriedOneDuringTheBodyMayNot() {
        var state = HTTP1ExchangeState(maxBodyBytes: 16)
        _ = state.sendRequest()
        #expect(
            state.channelInactive()
                == .fail(
                    HTTP1TransportError(.connectionLost, beforeResponse: true, detail: "closed before the response")))

        var midBody = HTTP1ExchangeState(maxBodyBytes: 16)
        _ = midBody.sendRequest()
        _ = midBody.receivedHead(Self.head())
        guard case .fail(let error) = midBody.channelInactive() else {
            Issue.record("the loss was not reported")
            return
        }
        #expect(!error.beforeResponse)
    }

    @Test func anErrorBeforeTheResponseIsALostConnectionAndAnIdleErrorOnlyCloses() {
        var state = HTTP1ExchangeState(maxBodyBytes: 16)
        _ = state.sendRequest()
        #expect(
            state.channelError("reset", isConnectionLoss: true)
                == .fail(HTTP1TransportError(.connectionLost, beforeResponse: true, detail: "reset")))
        #expect(state.channelInactive() == .none)

        // A response that does not parse is the server's answer: not retried.
        var garbled = HTTP1ExchangeState(maxBodyBytes: 16)
        _ = garbled.sendRequest()
        #expect(
            garbled.channelError("invalid status", isConnectionLoss: false)
                == .fail(HTTP1TransportError(.connectionLost, detail: "invalid status")))

        var idle = HTTP1ExchangeState(maxBodyBytes: 16)
        #expect(idle.channelError("unsolicited response", isConnectionLoss: false) == .close)
        guard case .refuse = idle.sendRequest() else {
            Issue.record("a failed connection took a request")
            return
        }
    }

    @Test func theDeadlineFailsTheRequestInFlightOnly() {
        var state = HTTP1ExchangeState(maxBodyBytes: 16)
        _ = state.sendRequest()
        _ = state.receivedHead(Self.head())
        #expect(state.deadlinePassed() == .fail(HTTP1TransportError(.timeout)))
        // A late end after the deadline answers nothing.
        #expect(state.receivedEnd() == .none)
    }

    @Test func responsePartsOutOfTurnFailTheRequestAndClose() {
        var state = HTTP1ExchangeState(maxBodyBytes: 16)
        _ = state.sendRequest()
        guard case .fail = state.receivedBody(ByteBuffer(string: "x")) else {
            Issue.record("a body before a head was taken")
            return
        }
    }
}
