import Foundation
import Relay
import Testing

/// The version is written once, in ``ReferralRelayVersion``; the Helm chart deploys the same one.
@Suite struct ReferralRelayVersionTests {
    @Test func theChartsAppVersionIsTheRelaysVersion() throws {
        let chart = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("helm/referral-relay/Chart.yaml")
        let text = try String(contentsOf: chart, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("appVersion:") })
        let value = line.dropFirst("appVersion:".count).trimmingCharacters(in: .whitespaces)
            .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        #expect(value == ReferralRelayVersion.current)
    }

    @Test func theVersionIsSemantic() {
        let parts = ReferralRelayVersion.current.split(separator: ".")
        #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil })
        #expect(
            ReferralRelayVersion.description.hasPrefix("referral-relay \(ReferralRelayVersion.current) (librdkafka "))
    }
}
