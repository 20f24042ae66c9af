import Foundation
import Testing

@testable import Relay

/// `docs/METRICS.md` documents every metric the relay exports, with its type and labels as
/// exported, and README's Operations section links to it.
@Suite struct MetricsReferenceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let reference = try? String(contentsOf: root.appendingPathComponent("docs/METRICS.md"), encoding: .utf8)

    @Test(arguments: RelayMetrics.descriptions)
    func everyMetricIsDocumentedWithItsTypeAndLabels(_ metric: RelayMetrics.Description) throws {
        let reference = try #require(Self.reference)
        let labels = metric.labels.isEmpty ? "—" : metric.labels.map { "`\($0)`" }.joined(separator: ", ")
        let row = "| `\(metric.name)` | \(metric.type) | \(labels) |"
        #expect(reference.contains(row), "docs/METRICS.md has no row starting \(row)")
    }

    @Test func theReferenceDocumentsNoMetricTheRelayDoesNotExport() throws {
        let reference = try #require(Self.reference)
        let documented = reference.split(separator: "\n").filter { $0.hasPrefix("| `relay_") }.compactMap {
            $0.split(separator: "`").dropFirst().first.map(String.init)
        }
        #expect(Set(documented) == Set(RelayMetrics.descriptions.map(\.name)))
        #expect(documented.count == RelayMetrics.descriptions.count, "a metric is documented twice")
    }

    @Test func readmeLinksTheReference() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("(docs/METRICS.md)"))
    }
}
