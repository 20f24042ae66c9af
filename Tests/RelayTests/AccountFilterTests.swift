import Testing

@testable import Relay

/// The referee store's account filter with plain values: never "certainly not" for an account
/// it was given, and rarely "maybe" for one it was not.
@Suite struct AccountFilterTests {
    @Test func everyAddedAccountIsAMaybeAndFewOthersAre() {
        var filter = AccountFilter(capacity: 100_000)
        for index in 0..<100_000 { filter.insert("acct-\(index)") }
        #expect((0..<100_000).allSatisfy { filter.mayContain("acct-\($0)") })
        let falsePositives = (0..<100_000).filter { filter.mayContain("other-\($0)") }.count
        // Sized for 16 bits per account with 7 probes: about 0.1% (1 in 1,000).
        #expect(falsePositives < 500, "\(falsePositives) false positives in 100,000")
    }

    @Test func anEmptyFilterKnowsNobodyAndIsAtLeastTwoMebibytes() {
        let filter = AccountFilter(capacity: 0)
        #expect(!filter.mayContain("anyone"))
        #expect(!filter.mayContain(""))
        #expect(filter.bytes == 2 * 1_024 * 1_024)
        #expect(AccountFilter(capacity: 10_000_000).bytes == 32 * 1_024 * 1_024)
    }
}
