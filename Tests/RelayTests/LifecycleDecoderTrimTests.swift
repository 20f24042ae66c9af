import Testing

@testable import Relay

/// Input fields are trimmed of Unicode `White_Space` at both ends (ASCII answered without the
/// property tables, everything else with them).
struct LifecycleDecoderTrimTests {
    @Test(arguments: [
        (" \t\n\u{0B}\u{0C}\racct-1 \t\r\n", "acct-1"),
        ("\u{A0}\u{2003}acct-2\u{3000}\u{85}", "acct-2"),
        ("a b\tc", "a b\tc"),
        ("   ", ""),
        ("", ""),
        ("\u{200B}acct\u{200B}", "\u{200B}acct\u{200B}"),
    ])
    func bothEndsLoseWhitespaceAndOnlyWhitespace(_ input: String, _ expected: String) {
        #expect(String(LifecycleDecoder.trimmed(input)) == expected)
    }
}
