import Testing

@testable import Relay

/// The single-consumer queue behind partition workers and the commit task.
struct AsyncInboxTests {
    @Test func elementsComeInOrderAndThoseQueuedBeforeCloseStillCome() async {
        let inbox = AsyncInbox<Int>(endsOnCancellation: false)
        #expect(inbox.send(1))
        #expect(inbox.send(2))
        #expect(inbox.isClosed == false)
        inbox.close()
        #expect(inbox.isClosed)
        #expect(inbox.send(3) == false, "refused once closed")
        #expect(await inbox.next() == 1)
        #expect(await inbox.next() == 2)
        #expect(await inbox.next() == nil)
    }

    @Test func aWaitingConsumerGetsTheNextElementOrTheEnd() async throws {
        let inbox = AsyncInbox<Int>(endsOnCancellation: false)
        async let first = inbox.next()
        try await Task.sleep(for: .milliseconds(50))
        #expect(inbox.send(7))
        #expect(await first == 7)
        async let end = inbox.next()
        try await Task.sleep(for: .milliseconds(50))
        inbox.close()
        #expect(await end == nil)
    }

    @Test func cancellationEndsOnlyTheInboxThatEndsOnCancellation() async throws {
        let ending = AsyncInbox<Int>(endsOnCancellation: true)
        _ = ending.send(1)
        let drop = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await ending.next()
        }
        #expect(await drop.value == nil, "what was queued is dropped")
        #expect(ending.send(2) == false)

        let serving = AsyncInbox<Int>(endsOnCancellation: false)
        _ = serving.send(1)
        let serve = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await serving.next()
        }
        #expect(await serve.value == 1, "the commit loop serves through cancellation")
        #expect(serving.send(2))
    }
}
