import Testing

@testable import Relay

/// ``OneShot``: a value set once, awaited with or without a time limit.
@Suite struct OneShotTests {
    @Test func aWaiterGetsTheValueWhetherItCameBeforeOrAfter() async {
        let early = OneShot<Int>()
        early.resolve(1)
        early.resolve(2)
        #expect(await early.value == 1)
        let late = OneShot<Int>()
        async let waited = late.value
        try? await Task.sleep(for: .milliseconds(20))
        late.resolve(3)
        #expect(await waited == 3)
        let none = OneShot<Int>()
        none.resolve(nil)
        #expect(await none.value == nil)
    }

    @Test func aTimedWaitEndsEmptyWhenTheValueComesLate() async {
        let slow = OneShot<Int>()
        let timedOut = await slow.value(within: .milliseconds(30))
        #expect(timedOut == .none)
        // The expired waiter is gone; the value still reaches a later waiter.
        slow.resolve(4)
        #expect(await slow.value == 4)
    }

    @Test func aTimedWaitGetsAValueSetInTime() async {
        let quick = OneShot<Int>()
        async let waited = quick.value(within: .seconds(30))
        try? await Task.sleep(for: .milliseconds(20))
        quick.resolve(5)
        #expect(await waited == .some(5))
        let none = OneShot<Int>()
        none.resolve(nil)
        #expect(await none.value(within: .seconds(30)) == .some(nil))
    }
}
