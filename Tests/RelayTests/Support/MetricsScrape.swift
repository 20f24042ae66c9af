import Foundation

/// One `/metrics` answer, parsed enough for the tests: samples by series, and the per-partition
/// gauges by partition (`account-created[1]`).
struct MetricsScrape {
    /// The exposition text.
    let text: String
    /// Every sample line (not `#` comments): the series and its value.
    let samples: [(series: String, value: Double)]

    init(_ text: String) {
        self.text = text
        self.samples = text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[space...].dropFirst())
            else { return nil }
            return (String(line[..<space]), value)
        }
    }

    /// `GET <base>/metrics`.
    static func get(_ base: String) async throws -> MetricsScrape {
        MetricsScrape(try await OpsHarness.get("\(base)/metrics").body)
    }

    /// The values of a gauge labelled `topic` and `partition`, keyed `topic[partition]`.
    func perPartition(_ name: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for (series, value) in self.samples where series.hasPrefix(name + "{") {
            guard let topic = Self.label("topic", in: series), let partition = Self.label("partition", in: series)
            else { continue }
            values["\(topic)[\(partition)]"] = value
        }
        return values
    }

    /// The value of the series spelled exactly `series` (e.g. `relay_in_flight`).
    func value(_ series: String) -> Double? {
        self.samples.first { $0.series == series }?.value
    }

    /// The series whose name is `name`, whatever their labels.
    func series(named name: String) -> [String] {
        self.samples.map(\.series).filter { $0 == name || $0.hasPrefix(name + "{") }
    }

    private static func label(_ label: String, in series: String) -> String? {
        guard let start = series.range(of: "\(label)=\"") else { return nil }
        let rest = series[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
