import Testing

@testable import Relay

/// Commit metadata from the broker is input like any other: whatever it holds, decoding stays
/// bounded and never traps, and what encoding writes decodes back (`scripts/fuzz
/// settled-offsets` checks the same; these inputs are in `fuzz/corpus/settled-offsets/`).
@Suite struct SettledOffsetsMetadataTests {
    /// A window of more than a million settled offsets used to encode to a range the decoder
    /// refused, so a restart lost every settled offset of the text, not just the excess (found
    /// by the fuzzer's encode/decode round trip).
    @Test func encodingStopsWhereDecodingWould() throws {
        let settled = (2...1_600_000).lazy.map { Int64($0) }
        let text = try #require(SettledOffsetsMetadata.encode(committed: 0, settled: settled))
        #expect(text == "rr1:2-1000001")
        let decoded = SettledOffsetsMetadata.decode(committed: 0, metadata: text)
        #expect(decoded.count == 1_000_000)
        #expect(decoded.min() == 2 && decoded.max() == 1_000_001)
    }

    /// Ranges that each pass but together describe millions of offsets (or the same ones again
    /// and again) are refused, not allocated.
    @Test func decodingIsBoundedInTotal() {
        let many = "rr1:" + (0..<8).map { "\($0 * 1_000_000 + 1)-\($0 * 1_000_000 + 999_999)" }.joined(separator: ",")
        #expect(SettledOffsetsMetadata.decode(committed: 0, metadata: many).isEmpty)
        let repeated = "rr1:" + Array(repeating: "1-999999", count: 300).joined(separator: ",")
        #expect(SettledOffsetsMetadata.decode(committed: 0, metadata: repeated).isEmpty)
        #expect(SettledOffsetsMetadata.decode(committed: 0, metadata: "rr1:1-999999,1000000").count == 1_000_000)
    }

    /// An offset past `Int64.max` used to trap on the addition: a crash at every start.
    @Test func offsetsPastInt64MaxAreRefused() {
        #expect(SettledOffsetsMetadata.decode(committed: 1_000, metadata: "rr1:9223372036854775807").isEmpty)
        #expect(
            SettledOffsetsMetadata.decode(committed: 1_000, metadata: "rr1:9223372036854774000-9223372036854775807")
                .isEmpty)
        #expect(
            SettledOffsetsMetadata.decode(committed: 7, metadata: "rr1:9223372036854775800") == [Int64.max])
    }
}
