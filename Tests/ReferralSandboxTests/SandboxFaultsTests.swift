import Foundation
import ReferralSandbox
import Testing

@Suite("SandboxFaults")
struct SandboxFaultsTests {
    @Test func aPartialSettingKeepsTheDefaults() throws {
        let faults = try JSONDecoder().decode(
            SandboxFaults.self, from: Data(#"{"throttle_first":2,"retry_after":"9"}"#.utf8))
        #expect(faults == SandboxFaults(throttleFirst: 2, retryAfter: "9"))
        #expect(faults.failStatus == 500)
        #expect(faults.throttleStatus == 429)
        #expect(try JSONDecoder().decode(SandboxFaults.self, from: Data("{}".utf8)) == .none)
    }

    @Test func roundTripsThroughJSON() throws {
        let faults = SandboxFaults(
            failRate: 0.5, failFirst: 1, failStatus: 503, latencyMilliseconds: 7, dropRate: 0.1, maxConcurrent: 3)
        let decoded = try JSONDecoder().decode(SandboxFaults.self, from: try JSONEncoder().encode(faults))
        #expect(decoded == faults)
    }

    @Test(arguments: [
        (SandboxFaults(failRate: 1.5), "fail_rate"),
        (SandboxFaults(dropRate: -0.1), "drop_rate"),
        (SandboxFaults(throttleRate: 2), "throttle_rate"),
        (SandboxFaults(failFirst: -1), "fail_first"),
        (SandboxFaults(latencyMilliseconds: -5), "latency_ms"),
        (SandboxFaults(failStatus: 42), "fail_status"),
        (SandboxFaults(throttleStatus: 600), "throttle_status"),
        (SandboxFaults(maxConcurrent: 0), "max_concurrent"),
    ])
    func validationNamesTheKey(_ faults: SandboxFaults, _ key: String) {
        #expect {
            try faults.validate()
        } throws: { error in
            (error as? SandboxError)?.reason.hasPrefix(key) == true
        }
    }
}
