import Foundation
import Histogram

/// Percentiles of latencies recorded in microseconds (HdrHistogram, 3 significant digits).
struct LatencyStats: Codable, Sendable {
    /// Samples.
    var count: Int
    /// Median, milliseconds.
    var p50: Double
    /// 99th percentile, milliseconds.
    var p99: Double
    /// 99.9th percentile, milliseconds.
    var p999: Double
    /// Largest, milliseconds.
    var max: Double

    /// Summarises `microseconds` (negative values, from clock granularity, count as 0).
    init(microseconds: [Int64]) {
        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        for value in microseconds { _ = histogram.record(UInt64(Swift.max(0, value))) }
        self.count = microseconds.count
        self.p50 = Double(histogram.valueAtPercentile(50)) / 1000
        self.p99 = Double(histogram.valueAtPercentile(99)) / 1000
        self.p999 = Double(histogram.valueAtPercentile(99.9)) / 1000
        self.max = Double(histogram.max) / 1000
    }

    /// `p50 / p99 / p99.9 ms`.
    var summary: String {
        "p50 \(Self.format(self.p50)) / p99 \(Self.format(self.p99)) / p99.9 \(Self.format(self.p999)) ms"
    }

    private static func format(_ value: Double) -> String {
        value < 100 ? String(format: "%.1f", value) : value.grouped
    }
}
