@testable import Relay

// `settled-offsets`: the commit metadata of `SettledOffsetsMetadata`, two ways.
// 1. The bytes as the metadata string a restart reads from the broker (another tool's, a
//    corrupt one), with a few committed offsets: decoding never crashes, returns only offsets
//    past the committed one, and stays bounded (the decoder refuses absurd ranges).
// 2. The bytes as a structured input: ascending settled offsets built from gaps. Encoding stays
//    under the length limit and decoding gives back the offsets encoded: all of them, or (when
//    the text filled up, or reached the most offsets a text describes) the first ones, never
//    others.

/// Committed offsets of the metadata read back: a new partition, a usual one, a long-lived one.
let committedOffsets: [Int64] = [0, 1_000, 1 << 40]
/// The most offsets a decode may return.
let mostDecoded = 1_000_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSettledOffsets(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let metadata = String(decoding: bytes, as: UTF8.self)
    // One committed offset per input (a million-offset decode is slow in a debug build).
    let committed = committedOffsets[count % committedOffsets.count]
    let decoded = SettledOffsetsMetadata.decode(committed: committed, metadata: metadata)
    precondition(decoded.count <= mostDecoded, "decoded \(decoded.count) offsets")
    precondition(decoded.allSatisfy { $0 > committed }, "decoded an offset at or before the commit")
    roundTrip(bytes)
    return 0
}

/// Encodes offsets built from `bytes` and decodes them back.
///
/// Each byte below 0xF0 is one settled offset, `byte % 8 + 1` after the previous one (runs,
/// small gaps); a byte from 0xF0 on is a run of `2^(byte & 0x0F % 12 + 1)` contiguous settled
/// offsets after a gap of one. Bytes past 20,000 offsets are ignored: a debug build is slow
/// with more, and the million a text may describe is a unit test
/// (`SettledOffsetsMetadataTests`).
func roundTrip(_ bytes: [UInt8]) {
    let committed: Int64 = bytes.first.map { Int64($0) << 24 } ?? 0
    var runs: [(first: Int64, count: Int64)] = []
    var next = committed + 1
    var total: Int64 = 0
    for byte in bytes.dropFirst() where total < 20_000 {
        if byte < 0xF0 {
            let offset = next + Int64(byte % 8)
            runs.append((offset, 1))
            next = offset + 1
            total += 1
        } else {
            let count = Int64(1) << Int64(byte & 0x0F % 12 + 1)
            runs.append((next + 1, count))
            next += 1 + count
            total += count
        }
    }
    let offsets = runs.lazy.flatMap { run in (run.first..<(run.first + run.count)) }
    guard let text = SettledOffsetsMetadata.encode(committed: committed, settled: offsets) else {
        precondition(total == 0, "encoded nothing of \(total) offsets")
        return
    }
    precondition(text.utf8.count <= SettledOffsetsMetadata.maximumLength, "metadata of \(text.utf8.count) bytes")
    let decoded = SettledOffsetsMetadata.decode(committed: committed, metadata: text)
    precondition(!decoded.isEmpty, "\(text.prefix(80)) decodes to nothing")
    // The decoded offsets are the first `decoded.count` ones encoded.
    var remaining = decoded.count
    for offset in offsets {
        guard remaining > 0 else { break }
        precondition(decoded.contains(offset), "offset \(offset) lost in \(text.prefix(80))")
        remaining -= 1
    }
    precondition(remaining == 0, "decoded offsets that were not encoded")
    // Only a full text, or one describing the most offsets a text may, leaves offsets out.
    if Int64(decoded.count) < total {
        precondition(
            text.utf8.count > SettledOffsetsMetadata.maximumLength - 40
                || Int64(decoded.count) == SettledOffsetsMetadata.maximumOffsets,
            "offsets left out of \(text.prefix(80))")
    }
}
